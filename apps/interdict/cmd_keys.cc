// keys generate, sign, verify: Ed25519 signatures of exported documents (src/sign/signing.h).
// None of these opens the registry.
#include <boost/json.hpp>
#include <iostream>

#include "cli.h"
#include "sign/signing.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

Result<int> RunKeysGenerate(Context& ctx, const std::string& prefix, bool force) {
  ASSIGN_OR_RETURN(const KeyPair pair, GenerateKeyPair());
  Status written = WriteKeyPairFiles(pair, prefix, force);
  if (written.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists(written.message() + " (--force replaces it)");
  }
  RETURN_IF_ERROR(written);
  if (ctx.json()) {
    PrintJson(json::object{{"key_id", pair.public_key.key_id},
                           {"algorithm", "ed25519"},
                           {"secret_key", prefix + ".key"},
                           {"public_key", prefix + ".pub"}});
  } else {
    std::cout << pair.public_key.key_id << "\n";
    std::cerr << "wrote " << prefix << ".key (secret, mode 0600: keep it off the feed servers) and "
              << prefix << ".pub (give it to the ISPs)\n";
  }
  return kExitOk;
}

Result<int> RunSign(Context& ctx, const std::string& key_path, const std::string& document,
                    std::string output) {
  if (output.empty()) output = document + ".sig";
  ASSIGN_OR_RETURN(const SecretKey key, ReadSecretKeyFile(key_path));
  ASSIGN_OR_RETURN(const Signature sig, SignFile(key, document));
  RETURN_IF_ERROR(WriteSignatureFile(sig, output, /*overwrite=*/true));
  if (ctx.json()) {
    PrintJson(json::object{{"signature", output},
                           {"document", document},
                           {"key_id", sig.key_id},
                           {"sha256", sig.sha256},
                           {"size", sig.size}});
  } else {
    std::cout << output << "\n";
    std::cerr << "signed " << document << " (" << sig.size << " bytes, SHA-256 " << sig.sha256
              << ") with key " << sig.key_id << "\n";
  }
  return kExitOk;
}

Result<int> RunVerify(Context& ctx, const std::string& pubkey_path, const std::string& document,
                      std::string signature) {
  if (signature.empty()) signature = document + ".sig";
  ASSIGN_OR_RETURN(const PublicKey key, ReadPublicKeyFile(pubkey_path));
  ASSIGN_OR_RETURN(const Verdict v, VerifyFile(key, document, signature));
  if (ctx.json()) {
    json::object o{{"valid", v.valid},
                   {"key_id", key.key_id},
                   {"document", document},
                   {"signature", signature}};
    if (!v.valid) o["reason"] = v.reason;
    PrintJson(o);
  } else if (v.valid) {
    std::cout << "valid\n";
    std::cerr << document << ": signed by key " << key.key_id << "\n";
  } else {
    std::cout << "invalid: " << v.reason << "\n";
  }
  return v.valid ? kExitOk : kExitNo;
}

}  // namespace

void AddKeysCommands(CLI::App& app, Context& ctx) {
  CLI::App* keys = app.add_subcommand("keys", "Ed25519 signing keys for exported documents");
  keys->require_subcommand(1);
  CLI::App* gen = keys->add_subcommand("generate", "write a new key pair: PREFIX.key, PREFIX.pub");
  auto prefix = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  gen->add_option("--out,-o", *prefix, "path prefix of the two files")->required();
  gen->add_flag("--force", *force, "replace existing key files");
  SetAction(gen, [&ctx, prefix, force]() { return RunKeysGenerate(ctx, *prefix, *force); });

  CLI::App* sign = app.add_subcommand("sign", "write a detached signature of a file");
  auto key = std::make_shared<std::string>();
  auto document = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  sign->add_option("--key", *key, "secret key file (PREFIX.key)")->required();
  sign->add_option("file", *document, "the document to sign")->required();
  sign->add_option("--output,-o", *output, "signature file (default FILE.sig)");
  SetAction(sign,
            [&ctx, key, document, output]() { return RunSign(ctx, *key, *document, *output); });

  CLI::App* verify =
      app.add_subcommand("verify", "check a detached signature: exit 0 valid, 1 invalid, 2 error");
  auto pubkey = std::make_shared<std::string>();
  auto vdocument = std::make_shared<std::string>();
  auto signature = std::make_shared<std::string>();
  verify->add_option("--pubkey", *pubkey, "public key file (PREFIX.pub)")->required();
  verify->add_option("file", *vdocument, "the signed document")->required();
  verify->add_option("signature", *signature, "the signature file (default FILE.sig)");
  SetAction(verify, [&ctx, pubkey, vdocument, signature]() {
    return RunVerify(ctx, *pubkey, *vdocument, *signature);
  });
}

}  // namespace interdict::cli
