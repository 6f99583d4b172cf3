// Ed25519 signing (src/sign/signing.h): round trips through files, rejection of every kind of
// change to the document, the signature or the key, parse errors that name file, line and field,
// key file permissions, and an independent check with OpenSSL's Ed25519 in both directions.
#include "sign/signing.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/digest.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

KeyPair NewKeys() {
  Result<KeyPair> k = GenerateKeyPair();
  if (!k.ok()) ADD_FAILURE() << k.status().ToString();
  return std::move(k).value();
}

// A feed-like document: deterministic, several kilobytes, with no repeating period.
std::string Document(int lines = 300) {
  std::string out = "kind,value,order_id,body,reference\n";
  for (int i = 0; i < lines; ++i) {
    out += "domain,site" + std::to_string(i * 7919 % 10007) + ".example," + std::to_string(i % 13) +
           ",Tribunale di Milano,RG " + std::to_string(i) + "/2026\n";
  }
  return out;
}

std::string Hex(const std::vector<unsigned char>& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (const unsigned char c : b) {
    s += kDigits[c >> 4];
    s += kDigits[c & 15];
  }
  return s;
}

std::vector<unsigned char> Unhex(const std::string& s) {
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<unsigned char>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// The value of "name: value" in a file's text.
std::string FieldOf(const std::string& text, const std::string& name) {
  const std::size_t at = text.find("\n" + name + ": ");
  if (at == std::string::npos) return "";
  const std::size_t begin = at + name.size() + 3;
  return text.substr(begin, text.find('\n', begin) - begin);
}

// Verifies through the files, asserting that verification could be carried out.
Verdict MustVerify(const PublicKey& key, const std::string& doc, const std::string& sig) {
  Result<Verdict> v = VerifyFile(key, doc, sig);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : Verdict{};
}

// --- the round trip ---------------------------------------------------------------------------

TEST(SignTest, RoundTripThroughFiles) {
  TempDir dir;
  const KeyPair keys = NewKeys();
  ASSERT_EQ(keys.public_key.key_id.size(), kKeyIdHexChars);
  ASSERT_TRUE(WriteKeyPairFiles(keys, dir.File("authority"), false).ok());

  Result<SecretKey> secret = ReadSecretKeyFile(dir.File("authority.key"));
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_EQ(secret->public_key(), keys.public_key);
  Result<PublicKey> pub = ReadPublicKeyFile(dir.File("authority.pub"));
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(*pub, keys.public_key);

  const std::string doc = dir.File("export.csv");
  WriteFile(doc, Document());
  ASSERT_TRUE(WriteDetachedSignature(dir.File("authority.key"), doc).ok());
  const Verdict v = MustVerify(*pub, doc, doc + ".sig");
  EXPECT_TRUE(v.valid) << v.reason;

  Result<Signature> sig = ReadSignatureFile(doc + ".sig");
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_EQ(sig->key_id, keys.public_key.key_id);
  EXPECT_EQ(sig->sha256, Sha256Hex(Document()));
  EXPECT_EQ(sig->size, Document().size());
  // Ed25519 is deterministic: the streamed and the in-memory signature are the same bytes.
  EXPECT_EQ(*sig, SignBytes(keys.secret, Document()));
  EXPECT_TRUE(VerifyBytes(keys.public_key, Document(), *sig).valid);
}

TEST(SignTest, FormatsAreExactlyAsDocumented) {
  const std::string sha(64, 'a');
  EXPECT_EQ(SignedMessage(sha, 42), "interdict feed signature v1\nsha256: " + sha + "\nsize: 42\n");
  Signature s;
  s.key_id = "0123456789abcdef";
  s.sha256 = sha;
  s.size = 42;
  EXPECT_EQ(FormatSignature(s),
            "interdict-ed25519-signature v1\nkey-id: 0123456789abcdef\nsha256: " + sha +
                "\nsize: 42\nsignature: " + std::string(86, 'A') + "==\n");
  const KeyPair keys = NewKeys();
  const std::string pub = FormatPublicKey(keys.public_key);
  EXPECT_EQ(
      pub.rfind("interdict-ed25519-public-key v1\nkey-id: " + keys.public_key.key_id + "\npublic: ",
                0),
      0u);
  EXPECT_EQ(pub.size(), 32 + 25 + 8 + 44 + 1);
  // The key id is the first 8 bytes of SHA-256 over the raw public key.
  const std::string raw(reinterpret_cast<const char*>(keys.public_key.bytes.data()), 32);
  EXPECT_EQ(keys.public_key.key_id, Sha256Hex(raw).substr(0, 16));
}

// RFC 8032, section 7.1, TEST 1: the seed is the RFC's private key, and SignMessage is pure
// Ed25519 over the bytes it is given.
TEST(SignTest, Rfc8032TestVector) {
  const std::vector<unsigned char> seed =
      Unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  std::array<std::uint8_t, kEd25519SeedBytes> s{};
  std::copy(seed.begin(), seed.end(), s.begin());
  const SecretKey key = SecretKey::FromSeed(s);
  EXPECT_EQ(Hex({key.public_key().bytes.begin(), key.public_key().bytes.end()}),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const auto sig = key.SignMessage("");
  EXPECT_EQ(Hex({sig.begin(), sig.end()}),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
            "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_EQ(key.Seed(), s);
}

// --- what must be rejected --------------------------------------------------------------------

TEST(SignTest, EveryChangedByteAtFirstMiddleAndLastPositionIsRejected) {
  TempDir dir;
  const KeyPair keys = NewKeys();
  const std::string original = Document();
  const std::string doc = dir.File("export.csv");
  WriteFile(doc, original);
  Result<Signature> sig = SignFile(keys.secret, doc);
  ASSERT_TRUE(sig.ok());
  ASSERT_TRUE(WriteSignatureFile(*sig, doc + ".sig", true).ok());
  ASSERT_TRUE(MustVerify(keys.public_key, doc, doc + ".sig").valid);

  int rejected = 0;
  for (const std::size_t pos : {std::size_t{0}, original.size() / 2, original.size() - 1}) {
    for (int value = 0; value < 256; ++value) {
      std::string changed = original;
      if (static_cast<unsigned char>(changed[pos]) == value) continue;
      changed[pos] = static_cast<char>(value);
      WriteFile(doc, changed);
      const Verdict v = MustVerify(keys.public_key, doc, doc + ".sig");
      EXPECT_FALSE(v.valid) << "byte " << pos << " set to " << value;
      EXPECT_EQ(v.reason, "the document's SHA-256 differs from the signed one");
      rejected += v.valid ? 0 : 1;
    }
  }
  EXPECT_EQ(rejected, 3 * 255);
  WriteFile(doc, original);
  EXPECT_TRUE(MustVerify(keys.public_key, doc, doc + ".sig").valid);
}

TEST(SignTest, EverySingleBitFlipIsRejected) {
  const KeyPair keys = NewKeys();
  const std::string original = Document(5);
  const Signature sig = SignBytes(keys.secret, original);
  for (std::size_t pos = 0; pos < original.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = original;
      changed[pos] = static_cast<char>(changed[pos] ^ (1 << bit));
      EXPECT_FALSE(VerifyBytes(keys.public_key, changed, sig).valid) << pos << ":" << bit;
    }
  }
}

// An attacker who changes the document and rewrites the digest and size in the .sig file to
// match is stopped by the Ed25519 signature itself, not by the comparison.
TEST(SignTest, RewrittenDigestInTheSignatureFileIsRejected) {
  const KeyPair keys = NewKeys();
  const std::string original = Document();
  const Signature sig = SignBytes(keys.secret, original);
  for (const std::string& changed :
       {std::string("X") + original.substr(1), original.substr(0, original.size() - 1),
        original + "domain,unblocked.example,1,X,Y\n"}) {
    Signature forged = sig;
    forged.sha256 = Sha256Hex(changed);
    forged.size = changed.size();
    const Verdict v = VerifyBytes(keys.public_key, changed, forged);
    EXPECT_FALSE(v.valid);
    EXPECT_EQ(v.reason,
              "the Ed25519 signature does not verify under key " + keys.public_key.key_id);
  }
}

TEST(SignTest, ChangedSignatureByteIsRejected) {
  TempDir dir;
  const KeyPair keys = NewKeys();
  const std::string doc = dir.File("feed.json");
  WriteFile(doc, Document());
  Result<Signature> sig = SignFile(keys.secret, doc);
  ASSERT_TRUE(sig.ok());
  for (std::size_t i = 0; i < kEd25519SignatureBytes; ++i) {
    for (const int flip : {0x01, 0x80, 0xff}) {
      Signature bad = *sig;
      bad.bytes[i] = static_cast<std::uint8_t>(bad.bytes[i] ^ flip);
      ASSERT_TRUE(WriteSignatureFile(bad, doc + ".sig", true).ok());
      const Verdict v = MustVerify(keys.public_key, doc, doc + ".sig");
      EXPECT_FALSE(v.valid) << "signature byte " << i << " ^ " << flip;
    }
  }
  // The recorded size and digest are checked too.
  Signature bad = *sig;
  bad.size += 1;
  EXPECT_FALSE(VerifyBytes(keys.public_key, Document(), bad).valid);
  bad = *sig;
  bad.sha256[10] = bad.sha256[10] == '0' ? '1' : '0';
  EXPECT_FALSE(VerifyBytes(keys.public_key, Document(), bad).valid);
}

TEST(SignTest, AnotherKeysSignatureIsRejected) {
  const KeyPair a = NewKeys();
  const KeyPair b = NewKeys();
  ASSERT_NE(a.public_key.key_id, b.public_key.key_id);
  const Signature by_a = SignBytes(a.secret, Document());
  Verdict v = VerifyBytes(b.public_key, Document(), by_a);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.reason, "the signature names key " + a.public_key.key_id + ", not this key (" +
                          b.public_key.key_id + ")");
  // With the key id rewritten to b's, the signature still fails under b.
  Signature relabelled = by_a;
  relabelled.key_id = b.public_key.key_id;
  v = VerifyBytes(b.public_key, Document(), relabelled);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.reason, "the Ed25519 signature does not verify under key " + b.public_key.key_id);
  EXPECT_TRUE(VerifyBytes(a.public_key, Document(), by_a).valid);
}

TEST(SignTest, TruncatedOrExtendedDocumentIsRejected) {
  TempDir dir;
  const KeyPair keys = NewKeys();
  const std::string original = Document();
  const std::string doc = dir.File("export.csv");
  WriteFile(doc, original);
  ASSERT_TRUE(WriteSignatureFile(*SignFile(keys.secret, doc), doc + ".sig", true).ok());
  for (const std::string& changed :
       {original.substr(0, original.size() - 1), original.substr(1), original + "\n",
        original + "x", std::string(), original + original, original.substr(0, 100)}) {
    WriteFile(doc, changed);
    const Verdict v = MustVerify(keys.public_key, doc, doc + ".sig");
    EXPECT_FALSE(v.valid) << changed.size() << " bytes";
    EXPECT_NE(v.reason.find("the document is " + std::to_string(changed.size()) + " bytes"),
              std::string::npos)
        << v.reason;
  }
}

// Sizes around the 1 MiB read chunk: the streamed digest equals the in-memory one.
TEST(SignTest, EmptyAndMultiChunkDocuments) {
  TempDir dir;
  const KeyPair keys = NewKeys();
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  std::string big;
  while (big.size() < 2 * kMiB + kMiB / 2 + 1) big += Document();
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, kMiB - 1, kMiB, kMiB + 1, 2 * kMiB,
                              2 * kMiB + kMiB / 2 + 1}) {
    const std::string content = big.substr(0, n);
    const std::string doc = dir.File("doc");
    WriteFile(doc, content);
    Result<Signature> sig = SignFile(keys.secret, doc);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig->size, n);
    EXPECT_EQ(*sig, SignBytes(keys.secret, content)) << n;
    ASSERT_TRUE(WriteSignatureFile(*sig, doc + ".sig", true).ok());
    EXPECT_TRUE(MustVerify(keys.public_key, doc, doc + ".sig").valid) << n;
  }
}

// --- key files --------------------------------------------------------------------------------

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(SignTest, SecretKeyFileIsMode0600AndNeverSilentlyReplaced) {
  TempDir dir;
  const std::string prefix = dir.File("k");
  const mode_t old_umask = ::umask(0);  // the mode must not depend on the umask
  const KeyPair first = NewKeys();
  const Status written = WriteKeyPairFiles(first, prefix, false);
  ::umask(old_umask);
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(ModeOf(prefix + ".key"), 0600u);
  EXPECT_EQ(ModeOf(prefix + ".pub"), 0644u);

  const std::string before = ReadFile(prefix + ".key");
  const KeyPair second = NewKeys();
  Status again = WriteKeyPairFiles(second, prefix, false);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), prefix + ".key already exists; it was left as it was");
  again = WriteSecretKeyFile(second.secret, prefix + ".key", false);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(prefix + ".key"), before);

  ASSERT_TRUE(WriteKeyPairFiles(second, prefix, true).ok());
  EXPECT_EQ(ModeOf(prefix + ".key"), 0600u);
  Result<SecretKey> now = ReadSecretKeyFile(prefix + ".key");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->key_id(), second.public_key.key_id);

  // A lone PREFIX.pub also stops generation before anything is written.
  std::filesystem::remove(prefix + ".key");
  EXPECT_EQ(WriteKeyPairFiles(first, prefix, false).code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(std::filesystem::exists(prefix + ".key"));

  // No temporary file is left behind by any of this.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"k.pub"});
}

TEST(SignTest, WriteToAMissingFolderNamesIt) {
  const KeyPair keys = NewKeys();
  const Status s = WriteSecretKeyFile(keys.secret, "/nonexistent-dir/k.key", false);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("/nonexistent-dir/k.key"), std::string::npos) << s.message();
}

struct BadText {
  std::string text;
  std::string error;  // the whole message
};

// A valid public key file of a fixed key, to damage field by field.
struct Fixture {
  KeyPair keys = NewKeys();
  std::string id = keys.public_key.key_id;
  std::string pub = FormatPublicKey(keys.public_key);
  std::string pub_b64 = pub.substr(pub.find("public: ") + 8, 44);
};

TEST(SignTest, MalformedPublicKeyFilesNameFileLineAndField) {
  const Fixture f;
  const std::string h = "interdict-ed25519-public-key v1\n";
  const std::string other = FormatPublicKey(NewKeys().public_key).substr(h.size());
  const std::string identity_b64 = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";  // small order
  const std::vector<BadText> cases = {
      {"", "key.pub: empty file; expected \"interdict-ed25519-public-key v1\""},
      {h + "key-id: " + f.id + "\npublic: !!!!" + f.pub_b64.substr(4) + "\n",
       "key.pub:3: public: not base64"},
      {h + "key-id: " + f.id + "\npublic: " + f.pub_b64.substr(0, 40) + "\n",
       "key.pub:3: public: 30 bytes; expected 32 bytes"},
      {h + "key-id: " + f.id + "\npublic: \n", "key.pub:3: public: not base64"},
      {h + "key-id: " + f.id + "\npublic: " + f.pub_b64.substr(0, 42) + "B=\n",
       "key.pub:3: public: not base64"},  // non-zero unused bits: not canonical
      {h + "key-id: " + f.id + "\npublic: " + identity_b64 + "\n",
       "key.pub:3: public: not a valid Ed25519 public key"},
      {h + "key-id: ABCDEF0123456789\npublic: " + f.pub_b64 + "\n",
       "key.pub:2: key-id: expected 16 lowercase hex digits"},
      {h + "key-id: " + f.id.substr(1) + "\npublic: " + f.pub_b64 + "\n",
       "key.pub:2: key-id: expected 16 lowercase hex digits"},
      {h + other.substr(0, other.find('\n')) + "\npublic: " + f.pub_b64 + "\n",
       "key.pub:2: key-id: does not match the public key (it is " + f.id + ")"},
      {h + "key-id: " + f.id + "\n", "key.pub:3: missing field \"public\""},
      {h, "key.pub:2: missing field \"key-id\""},
      {h + "public: " + f.pub_b64 + "\nkey-id: " + f.id + "\n",
       "key.pub:2: expected the field \"key-id: ...\""},
      {h + "key-id:" + f.id + "\npublic: " + f.pub_b64 + "\n",
       "key.pub:2: expected the field \"key-id: ...\""},
      {"interdict-ed25519-public-key v1\r\nkey-id: " + f.id + "\r\npublic: " + f.pub_b64 + "\r\n",
       "key.pub:1: carriage return in the line (lines end with LF only)"},
      {f.pub + "\n", "key.pub:4: unexpected text after the field \"public\""},
      {f.pub + "comment: x\n", "key.pub:4: unexpected text after the field \"public\""},
      {"interdict-ed25519-public-key v2\nkey-id: " + f.id + "\npublic: " + f.pub_b64 + "\n",
       "key.pub:1: unsupported format version; expected \"interdict-ed25519-public-key v1\""},
      {"interdict-ed25519-secret-key v1\nkey-id: " + f.id + "\nsecret: " + f.pub_b64 + "\n",
       "key.pub:1: this is an interdict secret key file; expected "
       "\"interdict-ed25519-public-key v1\""},
      {"-----BEGIN PUBLIC KEY-----\n",
       "key.pub:1: expected the first line \"interdict-ed25519-public-key v1\""},
      {f.pub + std::string(5000, 'x'), "key.pub: " + std::to_string(f.pub.size() + 5000) +
                                           " bytes; a key or signature file has at most 4096"},
  };
  for (const BadText& c : cases) {
    const Result<PublicKey> r = ParsePublicKey(c.text, "key.pub");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(r.status().message(), c.error) << c.text;
  }
  // Well-formed: as formatted, and without the final newline.
  EXPECT_TRUE(ParsePublicKey(f.pub, "key.pub").ok());
  EXPECT_TRUE(ParsePublicKey(f.pub.substr(0, f.pub.size() - 1), "key.pub").ok());
}

TEST(SignTest, MalformedSecretKeyFilesNameFileLineAndField) {
  const Fixture f;
  std::string good = FormatSecretKey(f.keys.secret);
  const std::string b64 = good.substr(good.find("secret: ") + 8, 44);
  const std::string h = "interdict-ed25519-secret-key v1\n";
  const std::string other_id = NewKeys().public_key.key_id;
  const std::vector<BadText> cases = {
      {h + "key-id: " + f.id + "\nsecret: " + b64.substr(0, 43) + "\n",
       "k.key:3: secret: not base64"},
      {h + "key-id: " + f.id + "\nsecret: " + b64 + b64 + "\n",
       "k.key:3: secret: not base64"},  // padding in the middle
      {h + "key-id: " + f.id + "\nsecret: " + std::string(44, 'A') + "AAA=\n",
       "k.key:3: secret: 35 bytes; expected 32 bytes"},
      {h + "key-id: " + other_id + "\nsecret: " + b64 + "\n",
       "k.key:2: key-id: does not match the secret key (whose key id is " + f.id + ")"},
      {h + "key-id: " + f.id + "\npublic: " + b64 + "\n",
       "k.key:3: expected the field \"secret: ...\""},
      {f.pub,
       "k.key:1: this is an interdict public key file; expected "
       "\"interdict-ed25519-secret-key v1\""},
  };
  for (const BadText& c : cases) {
    const Result<SecretKey> r = ParseSecretKey(c.text, "k.key");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().message(), c.error) << c.text;
  }
  Result<SecretKey> back = ParseSecretKey(good, "k.key");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->public_key(), f.keys.public_key);
  WipeString(good);
  EXPECT_TRUE(good.empty());

  // Read from disk, the path is the name; a missing file says so.
  TempDir dir;
  WriteFile(dir.File("k.key"), h + "key-id: " + f.id + "\nsecret: AAAA\n");
  Result<SecretKey> r = ReadSecretKeyFile(dir.File("k.key"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), dir.File("k.key") + ":3: secret: 3 bytes; expected 32 bytes");
  r = ReadSecretKeyFile(dir.File("none.key"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "cannot open " + dir.File("none.key") + ": No such file or directory");
  WriteFile(dir.File("huge.key"), std::string(1 << 20, 'k'));
  r = ReadSecretKeyFile(dir.File("huge.key"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), dir.File("huge.key") +
                                      ": larger than 4096 bytes; not an interdict key or "
                                      "signature file");
}

TEST(SignTest, MalformedSignatureFilesAreErrorsNotVerdicts) {
  const Fixture f;
  const Signature sig = SignBytes(f.keys.secret, Document());
  const std::string good = FormatSignature(sig);
  auto replace_line = [&good](int line, const std::string& with) {
    std::string out;
    int n = 1;
    std::size_t pos = 0;
    while (pos < good.size()) {
      const std::size_t lf = good.find('\n', pos);
      out += (n == line ? with : good.substr(pos, lf - pos)) + "\n";
      pos = lf + 1;
      ++n;
    }
    return out;
  };
  const std::vector<BadText> cases = {
      {replace_line(3, "sha256: " + sig.sha256.substr(1)),
       "d.sig:3: sha256: expected 64 lowercase hex digits"},
      {replace_line(3, "sha256: " + std::string(64, 'A')),
       "d.sig:3: sha256: expected 64 lowercase hex digits"},
      {replace_line(4, "size: 0042"), "d.sig:4: size: expected a number of bytes, in decimal"},
      {replace_line(4, "size: -1"), "d.sig:4: size: expected a number of bytes, in decimal"},
      {replace_line(4, "size: 4 2"), "d.sig:4: size: expected a number of bytes, in decimal"},
      {replace_line(4, "size: "), "d.sig:4: size: expected a number of bytes, in decimal"},
      {replace_line(4, "size: 18446744073709551616"), "d.sig:4: size: too large"},
      {replace_line(4, "size: 99999999999999999999"), "d.sig:4: size: too large"},
      {replace_line(5, "signature: " + std::string(84, 'A')),
       "d.sig:5: signature: 63 bytes; expected 64 bytes"},
      {replace_line(5, "signature: not base64 at all"), "d.sig:5: signature: not base64"},
      // libsodium 1.0.18 alone would decode a byte >= 0x80 as a base64 digit.
      {replace_line(5, "signature: " + FieldOf(good, "signature").replace(20, 1, "\xd0")),
       "d.sig:5: signature: not base64"},
      {replace_line(5, "signature: " + FieldOf(good, "signature").replace(0, 1, "\x80")),
       "d.sig:5: signature: not base64"},
      {replace_line(2, "key-id: xyz"), "d.sig:2: key-id: expected 16 lowercase hex digits"},
      {good.substr(0, good.find("signature: ")), "d.sig:5: missing field \"signature\""},
      {good + "signature: again\n", "d.sig:6: unexpected text after the field \"signature\""},
  };
  for (const BadText& c : cases) {
    const Result<Signature> r = ParseSignature(c.text, "d.sig");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().message(), c.error) << c.text;
  }
  Result<Signature> max = ParseSignature(replace_line(4, "size: 18446744073709551615"), "d.sig");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->size, UINT64_MAX);

  // VerifyFile: a malformed or missing file is an error, never a verdict.
  TempDir dir;
  const std::string doc = dir.File("export.csv");
  WriteFile(doc, Document());
  WriteFile(doc + ".sig", replace_line(5, "signature: ???"));
  Result<Verdict> v = VerifyFile(f.keys.public_key, doc, doc + ".sig");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), doc + ".sig:5: signature: not base64");
  WriteFile(doc + ".sig", good);
  v = VerifyFile(f.keys.public_key, doc + ".missing", doc + ".sig");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "cannot open " + doc + ".missing: No such file or directory");
  v = VerifyFile(f.keys.public_key, doc, dir.File("none.sig"));
  ASSERT_FALSE(v.ok());
  v = VerifyFile(f.keys.public_key, doc, doc + ".sig");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid);
}

TEST(SignTest, SigningErrorsNameThePath) {
  TempDir dir;
  const KeyPair keys = NewKeys();
  Result<Signature> s = SignFile(keys.secret, dir.File("none.csv"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "cannot open " + dir.File("none.csv") + ": No such file or directory");
  s = SignFile(keys.secret, dir.path().string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "cannot read " + dir.path().string() + ": Is a directory");
  WriteFile(dir.File("doc"), "x");
  const Status w = WriteDetachedSignature(dir.File("none.key"), dir.File("doc"));
  EXPECT_EQ(w.message(), "cannot open " + dir.File("none.key") + ": No such file or directory");
  EXPECT_FALSE(std::filesystem::exists(dir.File("doc.sig")));
}

// --- an independent implementation: OpenSSL's Ed25519 -----------------------------------------
// libsodium is not involved below: the files are read with plain string operations, base64 and
// SHA-256 are OpenSSL's, and the signed message is rebuilt from the documentation in signing.h.

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::vector<unsigned char> OpenSslBase64(const std::string& b64) {
  std::vector<unsigned char> out(b64.size() / 4 * 3 + 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return {};
  std::size_t padding = 0;
  for (std::size_t i = b64.size(); i > 0 && b64[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string OpenSslSha256Hex(const std::string& bytes) {
  std::vector<unsigned char> md(32);
  unsigned n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md.data(), &n, EVP_sha256(), nullptr);
  return Hex(md);
}

std::string DocumentedMessage(const std::string& document) {
  return "interdict feed signature v1\nsha256: " + OpenSslSha256Hex(document) +
         "\nsize: " + std::to_string(document.size()) + "\n";
}

bool OpenSslVerify(const std::vector<unsigned char>& pub, const std::string& message,
                   const std::vector<unsigned char>& sig) {
  const Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), pub.size()));
  if (!key) return false;
  const MdCtx ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

TEST(SignTest, OpenSslVerifiesOurSignatures) {
  TempDir dir;
  const KeyPair keys = NewKeys();
  ASSERT_TRUE(WriteKeyPairFiles(keys, dir.File("k"), false).ok());
  const std::string doc = dir.File("export.csv");
  const std::string content = Document();
  WriteFile(doc, content);
  ASSERT_TRUE(WriteDetachedSignature(dir.File("k.key"), doc).ok());

  const std::string pub_text = ReadFile(dir.File("k.pub"));
  const std::string sig_text = ReadFile(doc + ".sig");
  const std::vector<unsigned char> pub = OpenSslBase64(FieldOf(pub_text, "public"));
  const std::vector<unsigned char> sig = OpenSslBase64(FieldOf(sig_text, "signature"));
  ASSERT_EQ(pub.size(), 32u);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_EQ(FieldOf(sig_text, "sha256"), OpenSslSha256Hex(content));
  EXPECT_EQ(FieldOf(sig_text, "size"), std::to_string(content.size()));
  EXPECT_EQ(FieldOf(pub_text, "key-id"),
            OpenSslSha256Hex(std::string(pub.begin(), pub.end())).substr(0, 16));

  EXPECT_TRUE(OpenSslVerify(pub, DocumentedMessage(content), sig));
  // The check has teeth: OpenSSL rejects a changed document, or the bare document.
  std::string changed = content;
  changed[content.size() / 2] ^= 1;
  EXPECT_FALSE(OpenSslVerify(pub, DocumentedMessage(changed), sig));
  EXPECT_FALSE(OpenSslVerify(pub, content, sig));
}

TEST(SignTest, WeVerifyOpenSslSignaturesMadeFromOurSecretKeyFile) {
  TempDir dir;
  const KeyPair keys = NewKeys();
  ASSERT_TRUE(WriteKeyPairFiles(keys, dir.File("k"), false).ok());
  const std::vector<unsigned char> seed =
      OpenSslBase64(FieldOf(ReadFile(dir.File("k.key")), "secret"));
  ASSERT_EQ(seed.size(), 32u);
  const Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), 32));
  ASSERT_TRUE(key);
  std::vector<unsigned char> pub(32);
  std::size_t pub_len = pub.size();
  ASSERT_EQ(EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &pub_len), 1);
  EXPECT_EQ(Hex(pub), Hex({keys.public_key.bytes.begin(), keys.public_key.bytes.end()}));

  const std::string content = Document(50);
  const std::string message = DocumentedMessage(content);
  const MdCtx ctx(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()), 1);
  std::vector<unsigned char> sig(64);
  std::size_t sig_len = sig.size();
  ASSERT_EQ(EVP_DigestSign(ctx.get(), sig.data(), &sig_len,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size()),
            1);
  std::vector<unsigned char> b64(89);
  EVP_EncodeBlock(b64.data(), sig.data(), 64);

  const std::string doc = dir.File("feed.txt");
  WriteFile(doc, content);
  WriteFile(doc + ".sig", "interdict-ed25519-signature v1\nkey-id: " + keys.public_key.key_id +
                              "\nsha256: " + OpenSslSha256Hex(content) +
                              "\nsize: " + std::to_string(content.size()) +
                              "\nsignature: " + std::string(b64.begin(), b64.begin() + 88) + "\n");
  const Verdict v = MustVerify(keys.public_key, doc, doc + ".sig");
  EXPECT_TRUE(v.valid) << v.reason;
}

}  // namespace
}  // namespace interdict
