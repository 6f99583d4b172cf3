#include "dns/tsig.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

namespace interdict::dns {
namespace {

constexpr std::size_t kHeaderSize = 12;
// HMAC-SHA256 MACs shorter than this are malformed (RFC 8945 §5.2.2.1: the larger of 10 bytes
// and half the hash length).
constexpr std::size_t kMinMacSize = kHmacSha256Size / 2;
constexpr std::size_t kMaxUnsignedRun = 99;

std::uint16_t Get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

void Put16(std::vector<std::uint8_t>* out, std::uint16_t v) {
  out->push_back(static_cast<std::uint8_t>(v >> 8));
  out->push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void Put48(std::vector<std::uint8_t>* out, std::uint64_t v) {
  for (int shift = 40; shift >= 0; shift -= 8) {
    out->push_back(static_cast<std::uint8_t>((v >> shift) & 0xFF));
  }
}

void PutBytes(std::vector<std::uint8_t>* out, std::span<const std::uint8_t> bytes) {
  out->insert(out->end(), bytes.begin(), bytes.end());
}

std::uint64_t TimeField(std::int64_t t) {
  // 48 bits of unsigned seconds; times before 1970 do not occur in practice.
  return t < 0 ? 0 : static_cast<std::uint64_t>(t) & 0xFFFFFFFFFFFFULL;
}

bool IsHmacSha256(const Name& algorithm) {
  static const Name kName = Name::FromText(kHmacSha256).value();
  return algorithm == kName;
}

bool KeyIsHmacSha256(const TsigKey& key) {
  const Result<Name> algorithm = Name::FromText(key.algorithm);
  return algorithm.ok() && IsHmacSha256(*algorithm);
}

// One HMAC-SHA256 computation (OpenSSL 3 EVP_MAC).
class Hmac {
 public:
  explicit Hmac(std::span<const std::uint8_t> key) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return;
    ctx_ = EVP_MAC_CTX_new(mac);
    if (ctx_ == nullptr) return;
    char digest[] = "SHA256";
    const std::array<OSSL_PARAM, 2> params = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
    ok_ = EVP_MAC_init(ctx_, key.data(), key.size(), params.data()) == 1;
  }
  ~Hmac() { EVP_MAC_CTX_free(ctx_); }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  void Update(std::span<const std::uint8_t> bytes) {
    if (ok_ && !bytes.empty()) ok_ = EVP_MAC_update(ctx_, bytes.data(), bytes.size()) == 1;
  }

  Result<std::vector<std::uint8_t>> Final() {
    std::vector<std::uint8_t> out(kHmacSha256Size);
    std::size_t size = 0;
    if (!ok_ || EVP_MAC_final(ctx_, out.data(), &size, out.size()) != 1 ||
        size != kHmacSha256Size) {
      return Status::Internal("HMAC-SHA256 failed in OpenSSL");
    }
    return out;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  bool ok_ = false;
};

// Digests a MAC with its 2-byte length, as "request MAC" and "prior MAC" are digested.
void UpdateMac(Hmac* h, std::span<const std::uint8_t> mac) {
  if (mac.empty()) return;
  std::vector<std::uint8_t> size;
  Put16(&size, static_cast<std::uint16_t>(mac.size()));
  h->Update(size);
  h->Update(mac);
}

// The TSIG variables (RFC 8945 §4.3.3): all of them, or the timers alone.
std::vector<std::uint8_t> Variables(const Name& key_name, const Name& algorithm,
                                    std::uint64_t time_signed, std::uint16_t fudge,
                                    std::uint16_t error, std::span<const std::uint8_t> other,
                                    bool timers_only) {
  std::vector<std::uint8_t> v;
  if (!timers_only) {
    PutBytes(&v, key_name.Lowercase().wire());
    Put16(&v, kClassANY);
    v.insert(v.end(), 4, 0);  // TTL
    PutBytes(&v, algorithm.Lowercase().wire());
  }
  Put48(&v, time_signed);
  Put16(&v, fudge);
  if (!timers_only) {
    Put16(&v, error);
    Put16(&v, static_cast<std::uint16_t>(other.size()));
    PutBytes(&v, other);
  }
  return v;
}

// Digests a received signed message as its MAC covers it: the header with the original ID and
// one record fewer, then everything up to the TSIG record.
void UpdateSignedMessage(Hmac* h, std::span<const std::uint8_t> raw, std::size_t tsig_offset,
                         std::uint16_t original_id) {
  std::array<std::uint8_t, kHeaderSize> header{};
  std::copy_n(raw.begin(), kHeaderSize, header.begin());
  header[0] = static_cast<std::uint8_t>(original_id >> 8);
  header[1] = static_cast<std::uint8_t>(original_id & 0xFF);
  const auto arcount = static_cast<std::uint16_t>(Get16(raw, 10) - 1);
  header[10] = static_cast<std::uint8_t>(arcount >> 8);
  header[11] = static_cast<std::uint8_t>(arcount & 0xFF);
  h->Update(header);
  h->Update(raw.subspan(kHeaderSize, tsig_offset - kHeaderSize));
}

std::vector<std::uint8_t> EncodeRecord(const Record& r) {
  std::vector<std::uint8_t> out;
  out.reserve(r.name.wire_size() + 10 + r.rdata.size());
  PutBytes(&out, r.name.wire());
  Put16(&out, r.type);
  Put16(&out, r.klass);
  Put16(&out, static_cast<std::uint16_t>(r.ttl >> 16));
  Put16(&out, static_cast<std::uint16_t>(r.ttl & 0xFFFF));
  Put16(&out, static_cast<std::uint16_t>(r.rdata.size()));
  PutBytes(&out, r.rdata);
  return out;
}

// Appends one more additional record (already encoded) to a finished message.
Status AppendAdditional(std::vector<std::uint8_t>* message, std::span<const std::uint8_t> rr) {
  if (message->size() < kHeaderSize) {
    return Status::InvalidArgument("DNS message shorter than its header");
  }
  if (message->size() + rr.size() > kMaxMessageSize) {
    return Status::InvalidArgument("signed DNS message would exceed 65535 bytes");
  }
  const std::uint16_t arcount = Get16(*message, 10);
  if (arcount == 0xFFFF) return Status::InvalidArgument("DNS message has 65535 additional records");
  PutBytes(message, rr);
  (*message)[10] = static_cast<std::uint8_t>((arcount + 1) >> 8);
  (*message)[11] = static_cast<std::uint8_t>((arcount + 1) & 0xFF);
  return Status::Ok();
}

bool WithinFudge(std::int64_t now, std::uint64_t time_signed, std::uint16_t fudge) {
  const auto signed_at = static_cast<std::int64_t>(time_signed);  // < 2^48
  const std::int64_t diff = now > signed_at ? now - signed_at : signed_at - now;
  return diff <= fudge;
}

}  // namespace

// ---- Keys ----

std::string Base64Encode(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status::InvalidArgument("base64 length is not a multiple of 4");
  if (text.size() > (1U << 30)) return Status::InvalidArgument("base64 text too long");
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  for (std::size_t i = 0; i < text.size() - pad; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return Status::InvalidArgument("not base64: bad character at " + std::to_string(i));
  }
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  if (text.empty()) return out;
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) {
    return Status::InvalidArgument("not base64");
  }
  // EVP_DecodeBlock decodes the padding as zero bytes: drop them.
  out.erase(out.end() - static_cast<std::ptrdiff_t>(pad), out.end());
  return out;
}

Result<TsigKey> ParseTsigKey(std::string_view spec) {
  const std::size_t last = spec.rfind(':');
  if (last == std::string_view::npos) {
    return Status::InvalidArgument("TSIG key \"" + std::string(spec) +
                                   "\": expected [hmac-sha256:]name:base64secret");
  }
  std::string_view head = spec.substr(0, last);
  const std::string_view secret_text = spec.substr(last + 1);
  std::string_view algorithm = "hmac-sha256";
  if (const std::size_t first = head.find(':'); first != std::string_view::npos) {
    algorithm = head.substr(0, first);
    head = head.substr(first + 1);
  }
  Result<Name> alg_name = Name::FromText(algorithm);
  if (!alg_name.ok() || !IsHmacSha256(*alg_name)) {
    return Status::InvalidArgument("TSIG key: unsupported algorithm \"" + std::string(algorithm) +
                                   "\" (only hmac-sha256)");
  }
  if (head.empty()) return Status::InvalidArgument("TSIG key: empty key name");
  Result<Name> name = Name::FromText(head);
  if (!name.ok()) return name.status().Prefixed("TSIG key name");
  if (name->is_root()) return Status::InvalidArgument("TSIG key: the key name is the root");
  Result<std::vector<std::uint8_t>> secret = Base64Decode(secret_text);
  if (!secret.ok()) return secret.status().Prefixed("TSIG key secret");
  if (secret->empty()) return Status::InvalidArgument("TSIG key: empty secret");
  TsigKey key;
  key.name = std::move(name).value();
  key.algorithm = std::string(kHmacSha256);
  key.secret = std::move(secret).value();
  return key;
}

Status TsigKeyRing::Add(TsigKey key) {
  if (Find(key.name) != nullptr) {
    return Status::AlreadyExists("TSIG key " + key.name.ToText() + " is already in the ring");
  }
  keys_.push_back(std::move(key));
  return Status::Ok();
}

const TsigKey* TsigKeyRing::Find(const Name& name) const {
  for (const TsigKey& k : keys_) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

// ---- The record ----

Result<TsigRecord> TsigRecord::FromRecord(const Record& r) {
  if (r.type != kTypeTSIG) return Status::Corruption("not a TSIG record");
  if (r.klass != kClassANY) return Status::Corruption("TSIG record class is not ANY");
  if (r.ttl != 0) return Status::Corruption("TSIG record TTL is not 0");
  TsigRecord t;
  t.key_name = r.name;
  std::span<const std::uint8_t> d = r.rdata;
  std::size_t used = 0;
  Result<Name> alg = Name::ReadUncompressed(d, &used);
  if (!alg.ok()) return alg.status().Prefixed("TSIG algorithm name");
  t.algorithm = std::move(alg).value();
  d = d.subspan(used);
  if (d.size() < 10) return Status::Corruption("TSIG RDATA truncated before the MAC");
  t.time_signed = 0;
  for (std::size_t i = 0; i < 6; ++i) t.time_signed = (t.time_signed << 8) | d[i];
  t.fudge = Get16(d, 6);
  const std::size_t mac_size = Get16(d, 8);
  d = d.subspan(10);
  if (d.size() < mac_size + 6) return Status::Corruption("TSIG RDATA truncated in the MAC");
  t.mac.assign(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(mac_size));
  d = d.subspan(mac_size);
  t.original_id = Get16(d, 0);
  t.error = Get16(d, 2);
  const std::size_t other_size = Get16(d, 4);
  d = d.subspan(6);
  if (d.size() != other_size) return Status::Corruption("TSIG other data length mismatch");
  t.other_data.assign(d.begin(), d.end());
  return t;
}

Record TsigRecord::ToRecord() const {
  Record r;
  r.name = key_name;
  r.type = kTypeTSIG;
  r.klass = kClassANY;
  r.ttl = 0;
  std::vector<std::uint8_t>& d = r.rdata;
  d.reserve(algorithm.wire_size() + 16 + mac.size() + other_data.size());
  PutBytes(&d, algorithm.wire());
  Put48(&d, time_signed & 0xFFFFFFFFFFFFULL);
  Put16(&d, fudge);
  Put16(&d, static_cast<std::uint16_t>(mac.size()));
  PutBytes(&d, mac);
  Put16(&d, original_id);
  Put16(&d, error);
  Put16(&d, static_cast<std::uint16_t>(other_data.size()));
  PutBytes(&d, other_data);
  return r;
}

// ---- Server side ----

Result<TsigVerification> VerifyTsigRequest(std::span<const std::uint8_t> raw, const Message& parsed,
                                           const TsigKeyRing& keys, std::int64_t now) {
  if (!parsed.tsig_offset || parsed.additional.empty() ||
      parsed.additional.back().type != kTypeTSIG || *parsed.tsig_offset < kHeaderSize ||
      *parsed.tsig_offset > raw.size()) {
    return Status::Corruption("DNS message carries no TSIG record");
  }
  TsigVerification v;
  ASSIGN_OR_RETURN(v.request, TsigRecord::FromRecord(parsed.additional.back()));
  const TsigRecord& t = v.request;
  const TsigKey* key = keys.Find(t.key_name);
  if (key == nullptr || !IsHmacSha256(t.algorithm) || !KeyIsHmacSha256(*key)) {
    v.error = kRcodeBadKey;
    return v;
  }
  if (t.mac.size() < kMinMacSize || t.mac.size() > kHmacSha256Size) {
    return Status::Corruption("TSIG MAC of " + std::to_string(t.mac.size()) +
                              " bytes for hmac-sha256");
  }
  v.key = key;
  Hmac h(key->secret);
  UpdateSignedMessage(&h, raw, *parsed.tsig_offset, t.original_id);
  h.Update(Variables(t.key_name, t.algorithm, t.time_signed, t.fudge, t.error, t.other_data,
                     /*timers_only=*/false));
  ASSIGN_OR_RETURN(const std::vector<std::uint8_t> mac, h.Final());
  if (CRYPTO_memcmp(mac.data(), t.mac.data(), t.mac.size()) != 0) {
    v.error = kRcodeBadSig;
    return v;
  }
  v.request_mac = t.mac;
  if (!WithinFudge(now, t.time_signed, t.fudge)) {
    v.error = kRcodeBadTime;
  } else if (t.mac.size() < kHmacSha256Size) {
    v.error = kRcodeBadTrunc;  // truncated MACs are refused
  }
  return v;
}

Status AppendTsigError(const TsigVerification& v, std::int64_t now,
                       std::vector<std::uint8_t>* response) {
  if (response->size() < kHeaderSize) {
    return Status::InvalidArgument("DNS message shorter than its header");
  }
  switch (v.error) {
    case kRcodeBadKey:
    case kRcodeBadSig: {
      // Unsigned: the server cannot (or must not) prove anything with this key.
      TsigRecord t;
      t.key_name = v.request.key_name;
      t.algorithm = v.request.algorithm;
      t.time_signed = TimeField(now);
      t.fudge = v.request.fudge;
      t.original_id = Get16(*response, 0);
      t.error = v.error;
      return AppendAdditional(response, EncodeRecord(t.ToRecord()));
    }
    case kRcodeBadTime:
    case kRcodeBadTrunc: {
      if (v.key == nullptr || v.request_mac.empty()) {
        return Status::InvalidArgument("TSIG error answer needs the verified key and MAC");
      }
      TsigSigner signer(*v.key, v.request_mac, now, v.request.fudge);
      if (v.error == kRcodeBadTrunc) {
        return signer.SignWith(response, TimeField(now), v.error, {});
      }
      // BADTIME: the request's time signed, and ours in the other data (RFC 8945 §5.2.3).
      std::vector<std::uint8_t> other;
      Put48(&other, TimeField(now));
      return signer.SignWith(response, v.request.time_signed, v.error, other);
    }
    default:
      return Status::InvalidArgument("not a TSIG error: " + RcodeName(v.error, /*tsig=*/true));
  }
}

// ---- Signing ----

TsigSigner::TsigSigner(const TsigKey& key, std::span<const std::uint8_t> request_mac,
                       std::int64_t now, std::uint16_t fudge)
    : key_(key), prior_mac_(request_mac.begin(), request_mac.end()), now_(now), fudge_(fudge) {
  if (KeyIsHmacSha256(key)) {
    algorithm_ = Name::FromText(kHmacSha256).value();
    supported_ = true;
  }
}

std::size_t TsigSigner::record_size() const {
  // owner, type/class/TTL/RDLENGTH, algorithm, time 6, fudge 2, MAC size 2, MAC, original ID 2,
  // error 2, other length 2
  return key_.name.wire_size() + 10 + algorithm_.wire_size() + 16 + kHmacSha256Size;
}

Status TsigSigner::Sign(std::vector<std::uint8_t>* message) {
  return Sign(message, now_);
}

Status TsigSigner::Sign(std::vector<std::uint8_t>* message, std::int64_t now) {
  return SignWith(message, TimeField(now), kRcodeNoError, {});
}

Status TsigSigner::SignWith(std::vector<std::uint8_t>* message, std::uint64_t time_signed,
                            std::uint16_t error, std::span<const std::uint8_t> other) {
  if (!supported_) {
    return Status::InvalidArgument("unsupported TSIG algorithm \"" + key_.algorithm + "\"");
  }
  if (key_.secret.empty()) return Status::InvalidArgument("TSIG key with an empty secret");
  if (message->size() < kHeaderSize) {
    return Status::InvalidArgument("DNS message shorter than its header");
  }
  Hmac h(key_.secret);
  UpdateMac(&h, prior_mac_);
  h.Update(pending_);
  h.Update(*message);
  h.Update(Variables(key_.name, algorithm_, time_signed, fudge_, error, other,
                     /*timers_only=*/signed_ > 0));
  ASSIGN_OR_RETURN(std::vector<std::uint8_t> mac, h.Final());
  TsigRecord t;
  t.key_name = key_.name;
  t.algorithm = algorithm_;
  t.time_signed = time_signed;
  t.fudge = fudge_;
  t.mac = mac;
  t.original_id = Get16(*message, 0);
  t.error = error;
  t.other_data.assign(other.begin(), other.end());
  RETURN_IF_ERROR(AppendAdditional(message, EncodeRecord(t.ToRecord())));
  prior_mac_ = std::move(mac);
  pending_.clear();
  ++signed_;
  return Status::Ok();
}

Status TsigSigner::AddUnsigned(std::span<const std::uint8_t> message) {
  if (signed_ == 0) {
    return Status::FailedPrecondition("the first message of a TSIG sequence must be signed");
  }
  PutBytes(&pending_, message);
  return Status::Ok();
}

Result<std::vector<std::uint8_t>> SignTsigRequest(const TsigKey& key, std::int64_t now,
                                                  std::vector<std::uint8_t>* message,
                                                  std::uint16_t fudge) {
  TsigSigner signer(key, {}, now, fudge);
  RETURN_IF_ERROR(signer.Sign(message));
  return signer.last_mac();
}

// ---- Client side ----

TsigResponseVerifier::TsigResponseVerifier(TsigKey key, std::span<const std::uint8_t> request_mac)
    : key_(std::move(key)), prior_mac_(request_mac.begin(), request_mac.end()) {}

Status TsigResponseVerifier::Verify(std::span<const std::uint8_t> raw, const Message& parsed,
                                    std::int64_t now) {
  ++messages_;
  if (!parsed.tsig_offset) {
    if (messages_ == 1) return Status::PermissionDenied("TSIG: the first answer is not signed");
    if (++unsigned_run_ > kMaxUnsignedRun) {
      return Status::PermissionDenied("TSIG: more than 99 unsigned messages in a row");
    }
    PutBytes(&pending_, raw);
    return Status::Ok();
  }
  if (parsed.additional.empty() || *parsed.tsig_offset < kHeaderSize ||
      *parsed.tsig_offset > raw.size()) {
    return Status::Corruption("TSIG offset outside the message");
  }
  ASSIGN_OR_RETURN(const TsigRecord t, TsigRecord::FromRecord(parsed.additional.back()));
  if (!(t.key_name == key_.name) || !IsHmacSha256(t.algorithm)) {
    return Status::PermissionDenied("TSIG: answer signed with key " + t.key_name.ToText() + " (" +
                                    t.algorithm.ToText() + "), expected " + key_.name.ToText());
  }
  if (t.error != kRcodeNoError && t.mac.empty()) {
    return Status::PermissionDenied("TSIG: the server reports " +
                                    RcodeName(t.error, /*tsig=*/true) + " (unsigned)");
  }
  if (t.mac.size() != kHmacSha256Size) {
    return Status::PermissionDenied("TSIG: MAC of " + std::to_string(t.mac.size()) + " bytes");
  }
  Hmac h(key_.secret);
  UpdateMac(&h, prior_mac_);
  h.Update(pending_);
  UpdateSignedMessage(&h, raw, *parsed.tsig_offset, t.original_id);
  h.Update(Variables(t.key_name, t.algorithm, t.time_signed, t.fudge, t.error, t.other_data,
                     /*timers_only=*/messages_ > 1));
  ASSIGN_OR_RETURN(const std::vector<std::uint8_t> mac, h.Final());
  if (CRYPTO_memcmp(mac.data(), t.mac.data(), mac.size()) != 0) {
    return Status::PermissionDenied("TSIG: BADSIG (the MAC does not verify)");
  }
  if (t.error != kRcodeNoError) {
    return Status::PermissionDenied("TSIG: the server reports " +
                                    RcodeName(t.error, /*tsig=*/true) + " (signed)");
  }
  if (!WithinFudge(now, t.time_signed, t.fudge)) {
    return Status::PermissionDenied("TSIG: BADTIME (signed at " + std::to_string(t.time_signed) +
                                    ", now " + std::to_string(now) + ")");
  }
  prior_mac_ = t.mac;
  pending_.clear();
  unsigned_run_ = 0;
  return Status::Ok();
}

}  // namespace interdict::dns
