// TSIG (RFC 8945) with HMAC-SHA256: keys, verifying signed requests, signing responses (one
// message, or the message sequence of a zone transfer over TCP), and the client side (signing a
// request such as NOTIFY, verifying the responses) used by tests and by outgoing NOTIFY.
//
// Times are Unix seconds passed in by the caller; nothing here reads the clock.
//
// Thread-safety: TsigKey, TsigRecord and TsigVerification are plain values. A TsigKeyRing is
// safe to read (Find) from many threads once it is no longer modified. TsigSigner and
// TsigResponseVerifier carry the state of one message sequence: one object per sequence, used
// from one thread at a time. Free functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "dns/wire.h"

namespace interdict::dns {

inline constexpr std::string_view kHmacSha256 = "hmac-sha256.";
inline constexpr std::size_t kHmacSha256Size = 32;
inline constexpr std::uint16_t kTsigDefaultFudge = 300;

// A shared secret. `algorithm` is the TSIG algorithm name; only "hmac-sha256." is supported.
struct TsigKey {
  Name name;
  std::string algorithm = std::string(kHmacSha256);
  std::vector<std::uint8_t> secret;
};

// Parses a BIND-style key spec, "name:base64secret" or "hmac-sha256:name:base64secret" (the
// form of `dig -y` and `kdig -y`). InvalidArgument for another algorithm, a bad name, bad
// base64 or an empty secret.
Result<TsigKey> ParseTsigKey(std::string_view spec);

// Standard base64 (RFC 4648 §4) with padding, via OpenSSL.
std::string Base64Encode(std::span<const std::uint8_t> bytes);
// Decodes standard base64; the length must be a multiple of 4 and '=' may only end it.
Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text);

// The keys a server accepts, looked up by key name (case-insensitive).
class TsigKeyRing {
 public:
  // AlreadyExists when a key of that name is already in the ring.
  Status Add(TsigKey key);
  // The key of that name, or null.
  const TsigKey* Find(const Name& name) const;
  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<TsigKey> keys_;  // a handful of keys: a linear search is fastest
};

// The TSIG record's fields (RFC 8945 §4.2), decoded.
struct TsigRecord {
  Name key_name;
  Name algorithm;
  std::uint64_t time_signed = 0;  // 48 bits on the wire
  std::uint16_t fudge = 0;
  std::vector<std::uint8_t> mac;
  std::uint16_t original_id = 0;
  std::uint16_t error = 0;  // kRcodeNoError, kRcodeBadSig, kRcodeBadKey, kRcodeBadTime, ...
  std::vector<std::uint8_t> other_data;

  // Corruption unless `r` is a TSIG record (class ANY, TTL 0) with well-formed RDATA.
  static Result<TsigRecord> FromRecord(const Record& r);
  Record ToRecord() const;
};

// What VerifyTsigRequest found. When `error` is not kRcodeNoError the server answers with
// RCODE NOTAUTH and a TSIG error record built by AppendTsigError.
struct TsigVerification {
  std::uint16_t error = kRcodeNoError;  // NOERROR, BADKEY, BADSIG, BADTIME or BADTRUNC
  const TsigKey* key = nullptr;         // the signing key (in the ring); null for BADKEY
  TsigRecord request;                   // the request's TSIG record
  // The request's MAC, once it verified (NOERROR, BADTIME, BADTRUNC): what TsigSigner needs
  // to sign the answer. Empty otherwise.
  std::vector<std::uint8_t> request_mac;
};

// Verifies a signed request. `raw` are the bytes received and `parsed` their ParseMessage
// result, which must have a tsig_offset. Checks in RFC 8945 §5.2 order: the key and algorithm
// (BADKEY), the MAC length (a truncated MAC is refused with BADTRUNC; shorter than 16 bytes or
// longer than 32 is Corruption = FORMERR), the MAC in constant time (BADSIG), and then the
// time: |now - time signed| must be within the request's fudge (BADTIME).
// Corruption (answer FORMERR) when the message carries no TSIG or a malformed one.
Result<TsigVerification> VerifyTsigRequest(std::span<const std::uint8_t> raw, const Message& parsed,
                                           const TsigKeyRing& keys, std::int64_t now);

// Appends the TSIG record of an error answer to `response` (a finished message whose RCODE is
// NOTAUTH) and increments its ARCOUNT: for BADKEY and BADSIG an unsigned record (empty MAC);
// for BADTIME a signed record whose time is the request's and whose other data is `now`
// (RFC 8945 §5.2.3); for BADTRUNC a signed record. InvalidArgument for NOERROR.
Status AppendTsigError(const TsigVerification& v, std::int64_t now,
                       std::vector<std::uint8_t>* response);

// Signs the messages of one answer (or one request), RFC 8945 §5.3: the first MAC covers the
// request MAC, the message and all TSIG variables; each later MAC covers the previous MAC, the
// message and the TSIG timers only (time signed, fudge), as zone transfers over TCP need.
// Every message is signed unless the caller passes it to AddUnsigned() instead.
//
//   TsigSigner signer(*v.key, v.request_mac, now);
//   MessageWriter writer(kMaxMessageSize - signer.record_size());
//   ... fill writer; auto msg = writer.Finish(); RETURN_IF_ERROR(signer.Sign(&msg)); send ...
//
// With an empty request_mac the first message is signed as a request (client side).
class TsigSigner {
 public:
  TsigSigner(const TsigKey& key, std::span<const std::uint8_t> request_mac, std::int64_t now,
             std::uint16_t fudge = kTsigDefaultFudge);

  // Appends the TSIG record to the finished message and increments ARCOUNT; the message's ID
  // goes in as the original ID. Signs with the time given at construction, or `now` in the
  // overload. InvalidArgument when the message is shorter than a header, would exceed 65535
  // bytes, or the key is not hmac-sha256 with a secret.
  Status Sign(std::vector<std::uint8_t>* message);
  Status Sign(std::vector<std::uint8_t>* message, std::int64_t now);

  // Lets a message of the sequence go out unsigned: its bytes count towards the next MAC (RFC
  // 8945 §5.3.1; the first and the last message must be signed, and a client accepts at most 99
  // unsigned messages in a row). FailedPrecondition before the first Sign().
  Status AddUnsigned(std::span<const std::uint8_t> message);

  // The bytes Sign() adds to a message (the same for every message of the sequence).
  std::size_t record_size() const;
  // The MAC of the last message signed (a client keeps a request's MAC to verify the answer).
  const std::vector<std::uint8_t>& last_mac() const { return prior_mac_; }
  std::size_t messages_signed() const { return signed_; }

 private:
  friend Status AppendTsigError(const TsigVerification&, std::int64_t, std::vector<std::uint8_t>*);
  Status SignWith(std::vector<std::uint8_t>* message, std::uint64_t time_signed,
                  std::uint16_t error, std::span<const std::uint8_t> other);

  TsigKey key_;
  Name algorithm_;
  bool supported_ = false;               // key_.algorithm is hmac-sha256
  std::vector<std::uint8_t> prior_mac_;  // the request MAC, then the previous message's MAC
  std::vector<std::uint8_t> pending_;    // unsigned messages since the last signed one
  std::int64_t now_;
  std::uint16_t fudge_;
  std::size_t signed_ = 0;
};

// Client side: signs a request (a query, a transfer request, a NOTIFY) in place and returns its
// MAC, which verifying the answer needs.
Result<std::vector<std::uint8_t>> SignTsigRequest(const TsigKey& key, std::int64_t now,
                                                  std::vector<std::uint8_t>* message,
                                                  std::uint16_t fudge = kTsigDefaultFudge);

// Client side: verifies the answer to a request signed with `key`, message by message, in the
// order received. The first message must be signed; later ones may go unsigned (their bytes
// then count towards the next MAC), at most 99 in a row. PermissionDenied names the TSIG error
// (a bad MAC, a wrong key, a time out of the fudge, a TSIG error code set by the server);
// Corruption for malformed records.
class TsigResponseVerifier {
 public:
  TsigResponseVerifier(TsigKey key, std::span<const std::uint8_t> request_mac);

  Status Verify(std::span<const std::uint8_t> raw, const Message& parsed, std::int64_t now);
  // True when the last message passed to Verify was signed (an answer must end signed).
  bool complete() const { return messages_ > 0 && unsigned_run_ == 0; }

 private:
  TsigKey key_;
  std::vector<std::uint8_t> prior_mac_;
  std::vector<std::uint8_t> pending_;  // unsigned messages since the last signed one
  std::size_t messages_ = 0;
  std::size_t unsigned_run_ = 0;
};

}  // namespace interdict::dns
