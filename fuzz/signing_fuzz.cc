// Fuzz target for the key and signature file parsers (src/sign/signing.h). Each input goes to all
// three parsers, which must not crash; an error must name the file; and a text that parses must
// format back to exactly the same bytes (the formats have one spelling per value), give the same
// value when parsed again, and (for keys) carry the key id of its key. A violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sign/signing.h"

namespace {

constexpr std::string_view kName = "fuzz.input";

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  (void)std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
                     static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// The error must start with the file name given, so that a person can find the bad file.
void CheckError(std::string_view parser, const interdict::Status& s) {
  if (s.message().rfind(std::string(kName) + ":", 0) != 0) Fail(parser, s.message());
}

// A text that parsed formats back to itself, give or take the final newline.
void CheckCanonical(std::string_view parser, std::string_view input, const std::string& again) {
  if (again != input && again != std::string(input) + "\n") Fail(parser, again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const interdict::Result<interdict::PublicKey> pub = interdict::ParsePublicKey(input, kName);
  if (!pub.ok()) {
    CheckError("ParsePublicKey", pub.status());
  } else {
    const std::string text = interdict::FormatPublicKey(*pub);
    CheckCanonical("ParsePublicKey", input, text);
    const interdict::Result<interdict::PublicKey> again = interdict::ParsePublicKey(text, kName);
    if (!again.ok() || !(*again == *pub)) Fail("ParsePublicKey round trip", text);
    if (pub->key_id != interdict::KeyIdOf(pub->bytes)) Fail("ParsePublicKey key id", text);
  }

  interdict::Result<interdict::SecretKey> sec = interdict::ParseSecretKey(input, kName);
  if (!sec.ok()) {
    CheckError("ParseSecretKey", sec.status());
  } else {
    std::string text = interdict::FormatSecretKey(*sec);
    CheckCanonical("ParseSecretKey", input, text);
    const interdict::Result<interdict::SecretKey> again = interdict::ParseSecretKey(text, kName);
    if (!again.ok() || !(again->public_key() == sec->public_key())) {
      Fail("ParseSecretKey round trip", again.ok() ? "other key" : again.status().message());
    }
    // The key signs, and its public half verifies what it signed.
    const interdict::Signature sig = interdict::SignBytes(*sec, input);
    if (!interdict::VerifyBytes(sec->public_key(), input, sig).valid) Fail("sign/verify", text);
    interdict::WipeString(text);
  }

  const interdict::Result<interdict::Signature> sig = interdict::ParseSignature(input, kName);
  if (!sig.ok()) {
    CheckError("ParseSignature", sig.status());
  } else {
    const std::string text = interdict::FormatSignature(*sig);
    CheckCanonical("ParseSignature", input, text);
    const interdict::Result<interdict::Signature> again = interdict::ParseSignature(text, kName);
    if (!again.ok() || !(*again == *sig)) Fail("ParseSignature round trip", text);
  }
  return 0;
}
