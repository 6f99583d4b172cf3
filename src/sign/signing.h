// Ed25519 signing of exported documents (libsodium): key pairs, key files, detached signatures.
//
// An ISP that receives a feed must be able to prove what it was told to block. The authority
// signs every exported document with an Ed25519 key; the signature travels beside the document
// as a small text file; anyone holding the public key file verifies it, with `interdict verify`
// or with any Ed25519 implementation (README.md, "Signed feeds", shows OpenSSL).
//
// File formats. Every file is ASCII: lines ending in LF (a missing final LF is accepted; CR is
// not), the first line names the format and its version, then "field: value" lines, exactly
// these fields in exactly this order, nothing else. Base64 is RFC 4648 with padding, canonical
// (unused bits zero). Hex is lowercase.
//
//   PREFIX.key (mode 0600)                  PREFIX.pub
//     interdict-ed25519-secret-key v1         interdict-ed25519-public-key v1
//     key-id: <16 hex>                        key-id: <16 hex>
//     secret: <base64 of the 32-byte seed>    public: <base64 of the 32-byte public key>
//
//   DOCUMENT.sig
//     interdict-ed25519-signature v1
//     key-id: <16 hex>
//     sha256: <64 hex: SHA-256 of the document>
//     size: <the document's length in bytes, decimal, no leading zeros>
//     signature: <base64 of the 64-byte Ed25519 signature>
//
// The key id is the first 8 bytes of SHA-256 over the raw 32-byte public key, in hex. The seed
// is the RFC 8032 private key (what OpenSSL calls the raw Ed25519 private key).
//
// What is signed. The signature is pure Ed25519 (RFC 8032, not Ed25519ph) over the "signed
// message", these ASCII bytes (SignedMessage below):
//
//   "interdict feed signature v1\n" "sha256: " <64 lowercase hex> "\n" "size: " <decimal> "\n"
//
// so a document of any size is read once, in chunks, to hash it, and a third party rebuilds the
// message from the document with sha256sum and its size. The first line separates these
// signatures from any other use of the key. The key id in the .sig file is not signed: it only
// says which key to try, and the signature fails under any other key anyway.
//
// Thread-safety: the functions are reentrant (libsodium is initialized once, thread-safely, on
// first use). The types are plain values; a SecretKey must not be used from two threads while
// one of them moves from it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict {

inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SeedBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;
inline constexpr std::size_t kKeyIdHexChars = 16;
// Key and signature files are read whole; anything larger is refused without parsing.
inline constexpr std::size_t kMaxKeyFileBytes = 4096;

// The first line of each file, and the domain-separation line that starts the signed message.
inline constexpr std::string_view kSecretKeyHeader = "interdict-ed25519-secret-key v1";
inline constexpr std::string_view kPublicKeyHeader = "interdict-ed25519-public-key v1";
inline constexpr std::string_view kSignatureHeader = "interdict-ed25519-signature v1";
inline constexpr std::string_view kSignedMessageContext = "interdict feed signature v1\n";

// An Ed25519 public key and its id. A plain value.
struct PublicKey {
  std::array<std::uint8_t, kEd25519PublicKeyBytes> bytes{};
  std::string key_id;  // KeyIdOf(bytes)

  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

// An Ed25519 secret key (libsodium's 64-byte form: the seed, then the public key). Move-only;
// its bytes are wiped with sodium_memzero when it is destroyed or moved from.
class SecretKey {
 public:
  SecretKey() = default;
  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  // The key whose seed is `seed` (RFC 8032: the seed is the private key).
  static SecretKey FromSeed(const std::array<std::uint8_t, kEd25519SeedBytes>& seed);

  const PublicKey& public_key() const { return public_; }
  const std::string& key_id() const { return public_.key_id; }
  // A copy of the 32-byte seed (what the secret key file holds); wipe it with sodium_memzero.
  std::array<std::uint8_t, kEd25519SeedBytes> Seed() const;
  // REQUIRES: a key (not default-constructed or moved from). Signs `message` as it is.
  std::array<std::uint8_t, kEd25519SignatureBytes> SignMessage(std::string_view message) const;

 private:
  void Wipe();

  std::array<std::uint8_t, 64> sk_{};
  PublicKey public_;
};

// A key pair; GenerateKeyPair makes a fresh one from the operating system's random source.
struct KeyPair {
  SecretKey secret;
  PublicKey public_key;
};
Result<KeyPair> GenerateKeyPair();

// A detached signature: which key made it, which document it is for, and the signature proper.
// A plain value.
struct Signature {
  std::string key_id;                                        // 16 hex
  std::string sha256;                                        // 64 hex, of the document
  std::uint64_t size = 0;                                    // of the document, in bytes
  std::array<std::uint8_t, kEd25519SignatureBytes> bytes{};  // Ed25519 over SignedMessage

  friend bool operator==(const Signature&, const Signature&) = default;
};

// The outcome of a verification that could be carried out. An unreadable or malformed file is
// an error (a Status), not a verdict.
struct Verdict {
  bool valid = false;
  std::string reason;  // why not, when !valid ("the document's SHA-256 differs from ...")
};

// First 8 bytes of SHA-256 of the public key, lowercase hex.
std::string KeyIdOf(const std::array<std::uint8_t, kEd25519PublicKeyBytes>& public_key);

// The exact bytes that are signed for a document with this SHA-256 (64 lowercase hex) and size.
std::string SignedMessage(std::string_view sha256_hex, std::uint64_t size);

// Signing. SignFile streams the file (hashing it in 1 MiB chunks); errors name the path.
Signature SignBytes(const SecretKey& key, std::string_view document);
Result<Signature> SignFile(const SecretKey& key, const std::string& document_path);

// Verification: the key id, size and SHA-256 recorded in the signature must be those of `key`
// and of the document, and the Ed25519 signature must hold over the message built from the
// document's own SHA-256 and size. Any mismatch is an invalid Verdict.
Verdict VerifyBytes(const PublicKey& key, std::string_view document, const Signature& sig);
Result<Verdict> VerifyFile(const PublicKey& key, const std::string& document_path,
                           const std::string& signature_path);

// Text forms (the formats above). Parsers take untrusted bytes: every length is checked, and an
// error names the file (`name`), the line and, when one is at fault, the field:
// "key.pub:3: public: not base64". A text that parses formats back to the same bytes (with a
// final LF). FormatSecretKey's result holds the secret:
// pass it to WipeString when done.
std::string FormatPublicKey(const PublicKey& key);
std::string FormatSecretKey(const SecretKey& key);
std::string FormatSignature(const Signature& sig);
Result<PublicKey> ParsePublicKey(std::string_view text, std::string_view name);
Result<SecretKey> ParseSecretKey(std::string_view text, std::string_view name);
Result<Signature> ParseSignature(std::string_view text, std::string_view name);

// Overwrites a string's bytes with zeros (sodium_memzero) and empties it.
void WipeString(std::string& s);

// For the project's other signed formats (the transparency log's tree heads, src/translog): a
// pure Ed25519 signature over `message` as it is, the counterpart of SecretKey::SignMessage. The
// caller starts the message with its own domain-separation line, as SignedMessage does.
bool VerifyMessage(const PublicKey& key, std::string_view message,
                   const std::array<std::uint8_t, kEd25519SignatureBytes>& signature);
// Base64 as in these files (RFC 4648, padded). DecodeBase64Exact accepts only the canonical
// spelling of exactly out.size() bytes (`out` is unspecified after an error); its error
// (InvalidArgument) says "not base64" or "N bytes; expected M bytes", for the caller to prefix
// with the file, line and field.
std::string EncodeBase64(std::span<const std::uint8_t> bytes);
Status DecodeBase64Exact(std::string_view text, std::span<std::uint8_t> out);

// Files. Every write goes to a temporary file beside the destination, is synced, then renamed
// over it; without `overwrite` an existing destination is an error (AlreadyExists) and is left
// as it was. Secret key files get mode 0600, the others 0644.
Status WriteSecretKeyFile(const SecretKey& key, const std::string& path, bool overwrite);
Status WritePublicKeyFile(const PublicKey& key, const std::string& path, bool overwrite);
Status WriteSignatureFile(const Signature& sig, const std::string& path, bool overwrite);
// PREFIX.key and PREFIX.pub; checks that neither exists (unless `overwrite`) before writing.
Status WriteKeyPairFiles(const KeyPair& pair, const std::string& prefix, bool overwrite);
Result<SecretKey> ReadSecretKeyFile(const std::string& path);
Result<PublicKey> ReadPublicKeyFile(const std::string& path);
Result<Signature> ReadSignatureFile(const std::string& path);

// What `export --sign KEY` calls: signs the document with the secret key file and writes
// `document_path + ".sig"`, replacing an older signature.
Status WriteDetachedSignature(const std::string& key_path, const std::string& document_path);

}  // namespace interdict
