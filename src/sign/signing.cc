#include "sign/signing.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/digest.h"

namespace interdict {
namespace {

// The document is read in chunks of this size: memory stays flat for any size of export.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

// sodium_init() is thread-safe and idempotent; the static makes it run once per process. The
// primitives used here are deterministic and work before it too, so only key generation (which
// needs the random source) refuses to go on when it fails.
bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string Hex(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();  // the NUL sodium_bin2hex writes
  return out;
}

std::string Base64(std::span<const std::uint8_t> bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the NUL
  return out;
}

bool IsLowerHex(std::string_view s, std::size_t n) {
  if (s.size() != n) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Where(std::string_view name, int line) {
  return std::string(name) + ":" + std::to_string(line) + ": ";
}

// One field line of a parsed file: its value and its line number.
struct FieldLine {
  std::string_view value;
  int line = 0;
};

// The files a parser may be handed by mistake, to say what was given instead.
struct KnownFormat {
  std::string_view header;
  std::string_view what;
};
constexpr KnownFormat kKnownFormats[] = {
    {kSecretKeyHeader, "an interdict secret key file"},
    {kPublicKeyHeader, "an interdict public key file"},
    {kSignatureHeader, "an interdict signature file"},
};

// Checks the header line and splits the field lines of one of our files, in order. Values are
// returned unchecked; the caller checks each against its field's syntax.
template <std::size_t N>
Result<std::array<FieldLine, N>> SplitFields(std::string_view text, std::string_view name,
                                             std::string_view header,
                                             const std::array<std::string_view, N>& fields) {
  if (text.size() > kMaxKeyFileBytes) {
    return Status::Corruption(std::string(name) + ": " + std::to_string(text.size()) +
                              " bytes; a key or signature file has at most " +
                              std::to_string(kMaxKeyFileBytes));
  }
  if (text.empty()) {
    return Status::Corruption(std::string(name) + ": empty file; expected \"" +
                              std::string(header) + "\"");
  }
  std::array<FieldLine, N> out{};
  std::size_t pos = 0;
  int line = 0;
  // Returns the next line without its LF, or nullopt at the end of the text.
  auto next_line = [&]() -> std::optional<std::string_view> {
    if (pos >= text.size()) return std::nullopt;
    const std::size_t lf = text.find('\n', pos);
    const std::size_t end = lf == std::string_view::npos ? text.size() : lf;
    const std::string_view l = text.substr(pos, end - pos);
    pos = lf == std::string_view::npos ? text.size() : lf + 1;
    ++line;
    return l;
  };
  auto no_cr = [&](std::string_view l) -> Status {
    if (l.find('\r') != std::string_view::npos) {
      return Status::Corruption(Where(name, line) +
                                "carriage return in the line (lines end with LF only)");
    }
    return Status::Ok();
  };

  const std::optional<std::string_view> first = next_line();
  RETURN_IF_ERROR(no_cr(*first));
  if (*first != header) {
    for (const KnownFormat& k : kKnownFormats) {
      if (*first == k.header) {
        return Status::Corruption(Where(name, 1) + "this is " + std::string(k.what) +
                                  "; expected \"" + std::string(header) + "\"");
      }
    }
    // Same format, other version: "interdict-ed25519-public-key v2".
    const std::string_view base = header.substr(0, header.rfind(' ') + 1);
    if (first->starts_with(base)) {
      return Status::Corruption(Where(name, 1) + "unsupported format version; expected \"" +
                                std::string(header) + "\"");
    }
    return Status::Corruption(Where(name, 1) + "expected the first line \"" + std::string(header) +
                              "\"");
  }
  for (std::size_t i = 0; i < N; ++i) {
    const std::optional<std::string_view> l = next_line();
    if (!l) {
      return Status::Corruption(Where(name, line + 1) + "missing field \"" +
                                std::string(fields[i]) + "\"");
    }
    RETURN_IF_ERROR(no_cr(*l));
    const std::string_view key = fields[i];
    if (l->size() < key.size() + 2 || l->substr(0, key.size()) != key ||
        l->substr(key.size(), 2) != ": ") {
      return Status::Corruption(Where(name, line) + "expected the field \"" + std::string(key) +
                                ": ...\"");
    }
    out[i] = FieldLine{l->substr(key.size() + 2), line};
  }
  if (pos < text.size()) {
    return Status::Corruption(Where(name, line + 1) + "unexpected text after the field \"" +
                              std::string(fields[N - 1]) + "\"");
  }
  return out;
}

Status FieldError(std::string_view name, const FieldLine& f, std::string_view field,
                  std::string_view problem) {
  return Status::Corruption(Where(name, f.line) + std::string(field) + ": " + std::string(problem));
}

// Padded base64's shape: groups of four from the RFC 4648 alphabet, at most two '=' at the end.
// Checked before libsodium decodes, because sodium_base642bin in libsodium 1.0.18 takes some
// bytes >= 0x80 for base64 digits (its character mapping sign-extends them); found by the fuzz
// target's round-trip check.
bool IsBase64Shape(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t end = s.size();
  for (int pad = 0; pad < 2 && s[end - 1] == '='; ++pad) --end;
  for (std::size_t i = 0; i < end; ++i) {
    const char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
          c == '/')) {
      return false;
    }
  }
  return true;
}

// Decodes canonical padded base64 that must hold exactly `out.size()` bytes. The scratch buffer
// is wiped, since it may hold a secret.
Status DecodeBase64(std::string_view name, const FieldLine& f, std::string_view field,
                    std::span<std::uint8_t> out) {
  if (!IsBase64Shape(f.value)) return FieldError(name, f, field, "not base64");
  // A field is shorter than the file, which is at most kMaxKeyFileBytes long.
  std::array<std::uint8_t, kMaxKeyFileBytes> scratch{};
  std::size_t len = 0;
  // libsodium also refuses non-zero unused bits, so each value has one spelling.
  const int rc = sodium_base642bin(scratch.data(), scratch.size(), f.value.data(), f.value.size(),
                                   nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL);
  Status status;
  if (rc != 0) {
    status = FieldError(name, f, field, "not base64");
  } else if (len != out.size()) {
    status = FieldError(
        name, f, field,
        std::to_string(len) + " bytes; expected " + std::to_string(out.size()) + " bytes");
  } else {
    std::copy_n(scratch.begin(), out.size(), out.begin());
  }
  sodium_memzero(scratch.data(), scratch.size());
  return status;
}

Status CheckKeyId(std::string_view name, const FieldLine& f) {
  if (!IsLowerHex(f.value, kKeyIdHexChars)) {
    return FieldError(name, f, "key-id", "expected 16 lowercase hex digits");
  }
  return Status::Ok();
}

Result<std::uint64_t> ParseSize(std::string_view name, const FieldLine& f) {
  const std::string_view v = f.value;
  if (v.empty() || v.size() > 20 || (v.size() > 1 && v[0] == '0')) {
    return FieldError(name, f, "size", "expected a number of bytes, in decimal");
  }
  std::uint64_t n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9')
      return FieldError(name, f, "size", "expected a number of bytes, in decimal");
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) return FieldError(name, f, "size", "too large");
    n = n * 10 + d;
  }
  return n;
}

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() may carry (a delayed write error).
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Result<Fd> OpenForReading(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::IOError("cannot open " + path + ": " + ErrnoText(errno));
  return fd;
}

// Reads at most `limit` bytes of fd into buf, retrying interrupted and short reads. Returns the
// count read; fewer than `limit` means the end of the file.
Result<std::size_t> ReadUpTo(int fd, char* buf, std::size_t limit, const std::string& path) {
  std::size_t got = 0;
  while (got < limit) {
    const ssize_t n = ::read(fd, buf + got, limit - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot read " + path + ": " + ErrnoText(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

// Reads a key or signature file whole, refusing one larger than kMaxKeyFileBytes. The buffer is
// allocated once at full size so that a secret is never left behind by a reallocation.
Result<std::string> ReadSmallFile(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, OpenForReading(path));
  std::string buf(kMaxKeyFileBytes + 1, '\0');
  Result<std::size_t> got = ReadUpTo(fd.get(), buf.data(), buf.size(), path);
  if (!got.ok()) {
    WipeString(buf);
    return got.status();
  }
  if (*got > kMaxKeyFileBytes) {
    WipeString(buf);
    return Status::Corruption(path + ": larger than " + std::to_string(kMaxKeyFileBytes) +
                              " bytes; not an interdict key or signature file");
  }
  buf.resize(*got);
  return buf;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

struct DocumentDigest {
  std::string sha256;
  std::uint64_t size = 0;
};

// SHA-256 and length of a file, read once in kChunkBytes chunks.
Result<DocumentDigest> DigestFile(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, OpenForReading(path));
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("OpenSSL cannot start a SHA-256 digest");
  }
  std::vector<char> buf(kChunkBytes);
  DocumentDigest d;
  for (;;) {
    ASSIGN_OR_RETURN(const std::size_t got, ReadUpTo(fd.get(), buf.data(), buf.size(), path));
    if (got > 0 && EVP_DigestUpdate(ctx.get(), buf.data(), got) != 1) {
      return Status::Internal("OpenSSL SHA-256 update failed");
    }
    d.size += got;
    if (got < buf.size()) break;
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned n = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md.data(), &n) != 1 || n != 32) {
    return Status::Internal("OpenSSL SHA-256 final failed");
  }
  d.sha256 = Hex(std::span(md.data(), n));
  return d;
}

Verdict VerifyDigest(const PublicKey& key, const DocumentDigest& doc, const Signature& sig) {
  if (sig.key_id != key.key_id) {
    return {false, "the signature names key " + sig.key_id + ", not this key (" + key.key_id + ")"};
  }
  if (sig.size != doc.size) {
    return {false, "the document is " + std::to_string(doc.size) + " bytes; the signed one was " +
                       std::to_string(sig.size) + " bytes"};
  }
  if (sig.sha256 != doc.sha256) {
    return {false, "the document's SHA-256 differs from the signed one"};
  }
  // Built from the document's own digest: the comparisons above only give the better message.
  const std::string message = SignedMessage(doc.sha256, doc.size);
  if (crypto_sign_verify_detached(sig.bytes.data(),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), key.bytes.data()) != 0) {
    return {false, "the Ed25519 signature does not verify under key " + key.key_id};
  }
  return {true, ""};
}

// Writes `bytes` to a temporary file beside `path`, syncs it, then moves it into place: over an
// existing file with `overwrite`, otherwise only if there is none (RENAME_NOREPLACE, or link(2)
// where the file system lacks it). The temporary file is removed on every failure.
Status WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode,
                           bool overwrite) {
  std::string tmp = path + ".tmp-XXXXXX";
  Fd fd(::mkstemp(tmp.data()));  // created with mode 0600
  if (fd.get() < 0) {
    return Status::IOError("cannot create a temporary file beside " + path + ": " +
                           ErrnoText(errno));
  }
  bool keep_tmp = false;
  auto fail = [&](std::string what) {
    const int err = errno;
    if (!keep_tmp) ::unlink(tmp.c_str());
    return Status::IOError(std::move(what) + ": " + ErrnoText(err));
  };
  if (::fchmod(fd.get(), mode) != 0) return fail("cannot set the mode of " + tmp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write " + tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot sync " + tmp);
  if (fd.Close() != 0) return fail("cannot write " + tmp);

  if (overwrite) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      return fail("cannot rename " + tmp + " to " + path);
    }
  } else {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
      const int err = errno;
      if (err == EEXIST) {
        ::unlink(tmp.c_str());
        return Status::AlreadyExists(path + " already exists; it was left as it was");
      }
      if (err != EINVAL && err != ENOSYS && err != EOPNOTSUPP) {
        return fail("cannot rename " + tmp + " to " + path);
      }
      // No RENAME_NOREPLACE here: link(2) also refuses an existing name.
      if (::link(tmp.c_str(), path.c_str()) != 0) {
        if (errno == EEXIST) {
          ::unlink(tmp.c_str());
          return Status::AlreadyExists(path + " already exists; it was left as it was");
        }
        return fail("cannot link " + tmp + " to " + path);
      }
      ::unlink(tmp.c_str());
    }
  }
  // Make the rename itself durable.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) (void)::fsync(dfd.get());
  return Status::Ok();
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

// --- keys ---------------------------------------------------------------------------------------

SecretKey::~SecretKey() {
  Wipe();
}

SecretKey::SecretKey(SecretKey&& other) noexcept : sk_(other.sk_), public_(other.public_) {
  other.Wipe();
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    Wipe();
    sk_ = other.sk_;
    public_ = other.public_;
    other.Wipe();
  }
  return *this;
}

void SecretKey::Wipe() {
  sodium_memzero(sk_.data(), sk_.size());
  public_ = PublicKey{};
}

SecretKey SecretKey::FromSeed(const std::array<std::uint8_t, kEd25519SeedBytes>& seed) {
  (void)SodiumReady();
  SecretKey k;
  crypto_sign_seed_keypair(k.public_.bytes.data(), k.sk_.data(), seed.data());
  k.public_.key_id = KeyIdOf(k.public_.bytes);
  return k;
}

std::array<std::uint8_t, kEd25519SeedBytes> SecretKey::Seed() const {
  std::array<std::uint8_t, kEd25519SeedBytes> seed{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), sk_.data());
  return seed;
}

std::array<std::uint8_t, kEd25519SignatureBytes> SecretKey::SignMessage(
    std::string_view message) const {
  std::array<std::uint8_t, kEd25519SignatureBytes> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), sk_.data());
  return sig;
}

Result<KeyPair> GenerateKeyPair() {
  if (!SodiumReady()) return Status::Internal("libsodium failed to initialize (sodium_init)");
  std::array<std::uint8_t, kEd25519SeedBytes> seed{};
  randombytes_buf(seed.data(), seed.size());
  KeyPair pair;
  pair.secret = SecretKey::FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  pair.public_key = pair.secret.public_key();
  return pair;
}

std::string KeyIdOf(const std::array<std::uint8_t, kEd25519PublicKeyBytes>& public_key) {
  const std::string_view bytes(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  return Sha256Hex(bytes).substr(0, kKeyIdHexChars);
}

void WipeString(std::string& s) {
  sodium_memzero(s.data(), s.size());
  s.clear();
}

// --- signing ------------------------------------------------------------------------------------

std::string SignedMessage(std::string_view sha256_hex, std::uint64_t size) {
  std::string m(kSignedMessageContext);
  m += "sha256: ";
  m += sha256_hex;
  m += "\nsize: ";
  m += std::to_string(size);
  m += "\n";
  return m;
}

Signature SignBytes(const SecretKey& key, std::string_view document) {
  Signature sig;
  sig.key_id = key.key_id();
  sig.sha256 = Sha256Hex(document);
  sig.size = document.size();
  sig.bytes = key.SignMessage(SignedMessage(sig.sha256, sig.size));
  return sig;
}

Result<Signature> SignFile(const SecretKey& key, const std::string& document_path) {
  ASSIGN_OR_RETURN(DocumentDigest d, DigestFile(document_path));
  Signature sig;
  sig.key_id = key.key_id();
  sig.sha256 = std::move(d.sha256);
  sig.size = d.size;
  sig.bytes = key.SignMessage(SignedMessage(sig.sha256, sig.size));
  return sig;
}

Verdict VerifyBytes(const PublicKey& key, std::string_view document, const Signature& sig) {
  (void)SodiumReady();
  return VerifyDigest(key, DocumentDigest{Sha256Hex(document), document.size()}, sig);
}

Result<Verdict> VerifyFile(const PublicKey& key, const std::string& document_path,
                           const std::string& signature_path) {
  (void)SodiumReady();
  ASSIGN_OR_RETURN(const Signature sig, ReadSignatureFile(signature_path));
  ASSIGN_OR_RETURN(const DocumentDigest d, DigestFile(document_path));
  return VerifyDigest(key, d, sig);
}

// --- text forms ---------------------------------------------------------------------------------

std::string FormatPublicKey(const PublicKey& key) {
  std::string out(kPublicKeyHeader);
  out += "\nkey-id: " + key.key_id + "\npublic: " + Base64(key.bytes) + "\n";
  return out;
}

std::string FormatSecretKey(const SecretKey& key) {
  // Reserved up front so that no reallocation leaves a copy of the secret behind.
  std::string out;
  out.reserve(256);
  out += kSecretKeyHeader;
  out += "\nkey-id: ";
  out += key.key_id();
  out += "\nsecret: ";
  std::array<std::uint8_t, kEd25519SeedBytes> seed = key.Seed();
  std::array<char, sodium_base64_ENCODED_LEN(kEd25519SeedBytes, sodium_base64_VARIANT_ORIGINAL)>
      b64{};
  sodium_bin2base64(b64.data(), b64.size(), seed.data(), seed.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out += b64.data();
  out += "\n";
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(b64.data(), b64.size());
  return out;
}

std::string FormatSignature(const Signature& sig) {
  std::string out(kSignatureHeader);
  out += "\nkey-id: " + sig.key_id + "\nsha256: " + sig.sha256 +
         "\nsize: " + std::to_string(sig.size) + "\nsignature: " + Base64(sig.bytes) + "\n";
  return out;
}

Result<PublicKey> ParsePublicKey(std::string_view text, std::string_view name) {
  (void)SodiumReady();
  static constexpr std::array<std::string_view, 2> kFields = {"key-id", "public"};
  ASSIGN_OR_RETURN(const auto f, SplitFields(text, name, kPublicKeyHeader, kFields));
  RETURN_IF_ERROR(CheckKeyId(name, f[0]));
  PublicKey key;
  RETURN_IF_ERROR(DecodeBase64(name, f[1], "public", key.bytes));
  if (crypto_core_ed25519_is_valid_point(key.bytes.data()) != 1) {
    return FieldError(name, f[1], "public", "not a valid Ed25519 public key");
  }
  key.key_id = KeyIdOf(key.bytes);
  if (key.key_id != f[0].value) {
    return FieldError(name, f[0], "key-id",
                      "does not match the public key (it is " + key.key_id + ")");
  }
  return key;
}

Result<SecretKey> ParseSecretKey(std::string_view text, std::string_view name) {
  (void)SodiumReady();
  static constexpr std::array<std::string_view, 2> kFields = {"key-id", "secret"};
  ASSIGN_OR_RETURN(const auto f, SplitFields(text, name, kSecretKeyHeader, kFields));
  RETURN_IF_ERROR(CheckKeyId(name, f[0]));
  std::array<std::uint8_t, kEd25519SeedBytes> seed{};
  RETURN_IF_ERROR(DecodeBase64(name, f[1], "secret", seed));
  SecretKey key = SecretKey::FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  if (key.key_id() != f[0].value) {
    // The secret's own id is not secret: it is the public key's.
    return FieldError(name, f[0], "key-id",
                      "does not match the secret key (whose key id is " + key.key_id() + ")");
  }
  return key;
}

Result<Signature> ParseSignature(std::string_view text, std::string_view name) {
  static constexpr std::array<std::string_view, 4> kFields = {"key-id", "sha256", "size",
                                                              "signature"};
  ASSIGN_OR_RETURN(const auto f, SplitFields(text, name, kSignatureHeader, kFields));
  RETURN_IF_ERROR(CheckKeyId(name, f[0]));
  if (!IsLowerHex(f[1].value, 64)) {
    return FieldError(name, f[1], "sha256", "expected 64 lowercase hex digits");
  }
  Signature sig;
  sig.key_id = std::string(f[0].value);
  sig.sha256 = std::string(f[1].value);
  ASSIGN_OR_RETURN(sig.size, ParseSize(name, f[2]));
  RETURN_IF_ERROR(DecodeBase64(name, f[3], "signature", sig.bytes));
  return sig;
}

// --- shared with other signed formats -----------------------------------------------------------

bool VerifyMessage(const PublicKey& key, std::string_view message,
                   const std::array<std::uint8_t, kEd25519SignatureBytes>& signature) {
  (void)SodiumReady();
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.bytes.data()) == 0;
}

std::string EncodeBase64(std::span<const std::uint8_t> bytes) {
  return Base64(bytes);
}

Status DecodeBase64Exact(std::string_view text, std::span<std::uint8_t> out) {
  if (!IsBase64Shape(text)) return Status::InvalidArgument("not base64");
  // The length follows from the shape; checked first, so that libsodium decodes straight into
  // `out` (left unspecified on an error).
  const std::size_t pad = static_cast<std::size_t>(std::count(text.end() - 2, text.end(), '='));
  const std::size_t len = text.size() / 4 * 3 - pad;
  if (len != out.size()) {
    return Status::InvalidArgument(std::to_string(len) + " bytes; expected " +
                                   std::to_string(out.size()) + " bytes");
  }
  std::size_t got = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &got, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      got != out.size()) {
    return Status::InvalidArgument("not base64");
  }
  return Status::Ok();
}

// --- files --------------------------------------------------------------------------------------

Status WriteSecretKeyFile(const SecretKey& key, const std::string& path, bool overwrite) {
  std::string text = FormatSecretKey(key);
  Status s = WriteFileAtomically(path, text, 0600, overwrite);
  WipeString(text);
  return s;
}

Status WritePublicKeyFile(const PublicKey& key, const std::string& path, bool overwrite) {
  return WriteFileAtomically(path, FormatPublicKey(key), 0644, overwrite);
}

Status WriteSignatureFile(const Signature& sig, const std::string& path, bool overwrite) {
  return WriteFileAtomically(path, FormatSignature(sig), 0644, overwrite);
}

Status WriteKeyPairFiles(const KeyPair& pair, const std::string& prefix, bool overwrite) {
  const std::string secret_path = prefix + ".key";
  const std::string public_path = prefix + ".pub";
  if (!overwrite) {
    for (const std::string& p : {secret_path, public_path}) {
      if (Exists(p)) return Status::AlreadyExists(p + " already exists; it was left as it was");
    }
  }
  RETURN_IF_ERROR(WriteSecretKeyFile(pair.secret, secret_path, overwrite));
  return WritePublicKeyFile(pair.public_key, public_path, overwrite);
}

Result<SecretKey> ReadSecretKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  Result<SecretKey> key = ParseSecretKey(text, path);
  WipeString(text);
  return key;
}

Result<PublicKey> ReadPublicKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string text, ReadSmallFile(path));
  return ParsePublicKey(text, path);
}

Result<Signature> ReadSignatureFile(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string text, ReadSmallFile(path));
  return ParseSignature(text, path);
}

Status WriteDetachedSignature(const std::string& key_path, const std::string& document_path) {
  ASSIGN_OR_RETURN(const SecretKey key, ReadSecretKeyFile(key_path));
  ASSIGN_OR_RETURN(const Signature sig, SignFile(key, document_path));
  return WriteSignatureFile(sig, document_path + ".sig", /*overwrite=*/true);
}

}  // namespace interdict
