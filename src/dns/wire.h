// The DNS message codec (RFC 1035, RFC 3597, RFC 6891): domain names, records, whole messages,
// a parser that treats every byte as hostile, a writer with name compression, EDNS0 and the TCP
// length prefix.
//
// Records keep their RDATA in uncompressed wire form. The parser decompresses the names inside
// the RDATA of the RFC 1035 types that may be compressed (NS, MD, MF, CNAME, SOA, MB, MG, MR,
// PTR, MINFO, MX), so a parsed Record is self-contained; the writer compresses them again.
//
// Thread-safety: every type here is a plain value or a single-owner builder; distinct objects
// may be used from distinct threads, one object from one thread at a time. Free functions are
// reentrant.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace interdict::dns {

// ---- Numbers ------------------------------------------------------------------------------

// Resource record types (IANA "Resource Record (RR) TYPEs").
inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeNS = 2;
inline constexpr std::uint16_t kTypeMD = 3;
inline constexpr std::uint16_t kTypeMF = 4;
inline constexpr std::uint16_t kTypeCNAME = 5;
inline constexpr std::uint16_t kTypeSOA = 6;
inline constexpr std::uint16_t kTypeMB = 7;
inline constexpr std::uint16_t kTypeMG = 8;
inline constexpr std::uint16_t kTypeMR = 9;
inline constexpr std::uint16_t kTypePTR = 12;
inline constexpr std::uint16_t kTypeMINFO = 14;
inline constexpr std::uint16_t kTypeMX = 15;
inline constexpr std::uint16_t kTypeTXT = 16;
inline constexpr std::uint16_t kTypeAAAA = 28;
inline constexpr std::uint16_t kTypeOPT = 41;
inline constexpr std::uint16_t kTypeTSIG = 250;
inline constexpr std::uint16_t kTypeIXFR = 251;
inline constexpr std::uint16_t kTypeAXFR = 252;
inline constexpr std::uint16_t kTypeANY = 255;

// Classes.
inline constexpr std::uint16_t kClassIN = 1;
inline constexpr std::uint16_t kClassNONE = 254;
inline constexpr std::uint16_t kClassANY = 255;

// Opcodes (4 bits of the header).
inline constexpr std::uint8_t kOpcodeQuery = 0;
inline constexpr std::uint8_t kOpcodeNotify = 4;

// Response codes. Values up to 15 fit the header; kRcodeBadVers is an extended RCODE (the upper
// 8 bits travel in the OPT record, see SplitRcode); kRcodeBadSig..kRcodeBadTrunc are values of
// the TSIG record's 16-bit error field (BADSIG and BADVERS share the number 16).
inline constexpr std::uint16_t kRcodeNoError = 0;
inline constexpr std::uint16_t kRcodeFormErr = 1;
inline constexpr std::uint16_t kRcodeServFail = 2;
inline constexpr std::uint16_t kRcodeNxDomain = 3;
inline constexpr std::uint16_t kRcodeNotImp = 4;
inline constexpr std::uint16_t kRcodeRefused = 5;
inline constexpr std::uint16_t kRcodeNotAuth = 9;
inline constexpr std::uint16_t kRcodeBadVers = 16;
inline constexpr std::uint16_t kRcodeBadSig = 16;
inline constexpr std::uint16_t kRcodeBadKey = 17;
inline constexpr std::uint16_t kRcodeBadTime = 18;
inline constexpr std::uint16_t kRcodeBadTrunc = 22;

// The largest DNS message (the TCP length prefix is 16 bits), the classic UDP limit, and the
// limits of names.
inline constexpr std::size_t kMaxMessageSize = 65535;
inline constexpr std::size_t kMaxUdpSizeWithoutEdns = 512;
inline constexpr std::size_t kMaxLabelSize = 63;
inline constexpr std::size_t kMaxNameWireSize = 255;

// "A", "SOA", ... or "TYPE<n>" (RFC 3597 form) for types without a mnemonic here.
std::string TypeName(std::uint16_t type);
// "NOERROR", "NOTAUTH", ... or the number. `tsig` picks BADSIG over BADVERS for 16.
std::string RcodeName(std::uint16_t rcode, bool tsig = false);

// ---- Names --------------------------------------------------------------------------------

// A domain name in uncompressed wire form: length-prefixed labels ending with the zero-length
// root label. Always valid: every label is 1..63 bytes and the whole form is at most 255 bytes.
// Case is preserved; comparisons ignore ASCII case (RFC 4343).
class Name {
 public:
  // The root name ".".
  Name();

  static Name Root() { return {}; }
  // Presentation form: labels separated by dots, trailing dot optional, "" and "." are the
  // root; `\X` stands for the character X and `\DDD` for the byte with decimal value DDD.
  // Empty labels, labels over 63 bytes and names over 255 bytes are InvalidArgument.
  static Result<Name> FromText(std::string_view text);
  // An uncompressed wire-form name that must fill `wire` exactly. Corruption when malformed.
  static Result<Name> FromWire(std::span<const std::uint8_t> wire);
  // Reads an uncompressed wire-form name at the start of `wire`; *consumed is set to its size.
  static Result<Name> ReadUncompressed(std::span<const std::uint8_t> wire, std::size_t* consumed);

  // Presentation form with the trailing dot ("." for the root). Inside labels, '.', '\\', '"',
  // '(', ')', ';', '@', '$' get a backslash and bytes outside '!'..'~' are written as \DDD.
  std::string ToText() const;

  // The wire form, root label included (a view into this object: keep the Name alive).
  std::span<const std::uint8_t> wire() const {
    return {reinterpret_cast<const std::uint8_t*>(wire_.data()), wire_.size()};
  }
  std::size_t wire_size() const { return wire_.size(); }
  // Labels, not counting the root: 0 for ".", 2 for "example.com.".
  std::size_t label_count() const { return labels_; }
  bool is_root() const { return labels_ == 0; }
  // The i-th label from the left, without its length byte. REQUIRES: i < label_count().
  std::string_view label(std::size_t i) const;
  std::vector<std::string_view> labels() const;

  // A copy with A-Z folded to a-z (the canonical form of RFC 4034 §6.2).
  Name Lowercase() const;
  // The name without its first `n` labels ("b.c." for "a.b.c." and n = 1); the root when
  // n >= label_count().
  Name Suffix(std::size_t n) const;
  // This name followed by `suffix` ("www" + "example.com." = "www.example.com."); InvalidArgument
  // when the result would exceed 255 bytes.
  Result<Name> Concat(const Name& suffix) const;
  // True when this name equals `ancestor` or lies under it (case-insensitive).
  bool IsSubdomainOf(const Name& ancestor) const;

  // Case-insensitive equality.
  friend bool operator==(const Name& a, const Name& b);

 private:
  friend struct NameAccess;  // the codec builds names it has already checked
  Name(std::string wire, std::size_t labels) : wire_(std::move(wire)), labels_(labels) {}

  std::string wire_;  // wire-form bytes
  std::size_t labels_ = 0;
};

// The canonical order of RFC 4034 §6.1: by labels from the right, each compared as lowercase
// octet strings, a missing label sorting first. Returns <0, 0 or >0.
int CanonicalCompare(const Name& a, const Name& b);

// For ordered containers: canonical order.
struct CanonicalLess {
  bool operator()(const Name& a, const Name& b) const { return CanonicalCompare(a, b) < 0; }
};

// For unordered containers: a hash consistent with the case-insensitive operator==.
struct NameHash {
  std::size_t operator()(const Name& n) const;
};

// ---- Messages -----------------------------------------------------------------------------

// The fixed 12-byte header without its four counts (the writer computes those). The Z bit is
// neither kept nor written. `rcode` is the 4-bit header RCODE.
struct Header {
  std::uint16_t id = 0;
  bool qr = false;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool ad = false;
  bool cd = false;
  std::uint8_t opcode = kOpcodeQuery;
  std::uint8_t rcode = 0;

  friend bool operator==(const Header&, const Header&) = default;
};

struct Question {
  Name name;
  std::uint16_t type = 0;
  std::uint16_t klass = kClassIN;

  friend bool operator==(const Question&, const Question&) = default;
};

// One resource record; `rdata` is in uncompressed wire form (see the file comment).
struct Record {
  Name name;
  std::uint16_t type = 0;
  std::uint16_t klass = kClassIN;
  std::uint32_t ttl = 0;
  std::vector<std::uint8_t> rdata;

  friend bool operator==(const Record&, const Record&) = default;
};

// EDNS0 (RFC 6891): what the OPT pseudo-record carries. Values are as received: a server
// treats a payload size below 512 as 512, and answers BADVERS when version is not 0.
struct Edns {
  std::uint16_t udp_payload_size = 1232;
  std::uint8_t extended_rcode = 0;    // the upper 8 bits of a 12-bit RCODE
  std::uint8_t version = 0;           // not 0: the server answers BADVERS
  bool dnssec_ok = false;             // the DO bit
  std::vector<std::uint8_t> options;  // option TLVs (code, length, data), already validated

  // The OPT record (owner ".", class = payload size, TTL = rcode/version/flags).
  Record ToRecord() const;
  // Corruption unless `r` is a well-formed OPT record (root owner, options that fill RDATA).
  static Result<Edns> FromRecord(const Record& r);

  friend bool operator==(const Edns&, const Edns&) = default;
};

// Splits a 12-bit RCODE into the header's 4 bits and EDNS's upper 8 bits.
inline void SplitRcode(std::uint16_t rcode, Header* header, Edns* edns) {
  header->rcode = static_cast<std::uint8_t>(rcode & 0xF);
  edns->extended_rcode = static_cast<std::uint8_t>((rcode >> 4) & 0xFF);
}

// A whole message. OPT and TSIG records stay in `additional` as ordinary records (so a parsed
// message re-encodes byte for byte); the parser also decodes them into `edns` and `tsig_offset`.
struct Message {
  Header header;
  std::vector<Question> question;
  std::vector<Record> answer;
  std::vector<Record> authority;
  std::vector<Record> additional;

  // Filled by ParseMessage, ignored by the writer.
  std::optional<Edns> edns;  // decoded OPT record, when present
  // The byte offset of the TSIG record (the start of its owner name) when the message is
  // signed; TSIG is then additional.back(). Everything before it is what the MAC covers.
  std::optional<std::size_t> tsig_offset;
};

// Parses one whole message. Every length, count and compression pointer is checked: pointers
// must point strictly backwards (before the start of the name piece that contains them, so
// there are no loops), counts must fit the bytes left before anything is allocated, names stay
// within 255 bytes, trailing bytes are an error, at most one OPT (owner ".", in the additional
// section) and at most one TSIG (the last record). Errors are Corruption and name the offset.
Result<Message> ParseMessage(std::span<const std::uint8_t> bytes);

// Reads the 12-byte header alone (for a quick FORMERR answer when the rest does not parse).
Result<Header> ParseHeader(std::span<const std::uint8_t> bytes);

// ---- RDATA helpers ------------------------------------------------------------------------

// Encoders and decoders for the RDATA of common types (uncompressed wire form).
struct Rdata {
  struct Soa {
    Name mname;
    Name rname;
    std::uint32_t serial = 0;
    std::uint32_t refresh = 0;
    std::uint32_t retry = 0;
    std::uint32_t expire = 0;
    std::uint32_t minimum = 0;

    std::vector<std::uint8_t> Encode() const;
    static Result<Soa> Decode(std::span<const std::uint8_t> rdata);

    friend bool operator==(const Soa&, const Soa&) = default;
  };

  struct Mx {
    std::uint16_t preference = 0;
    Name exchange;

    std::vector<std::uint8_t> Encode() const;
    static Result<Mx> Decode(std::span<const std::uint8_t> rdata);
  };

  // RDATA that is exactly one name: NS, CNAME, PTR.
  static std::vector<std::uint8_t> EncodeName(const Name& name);
  static Result<Name> DecodeName(std::span<const std::uint8_t> rdata);
  static std::vector<std::uint8_t> EncodeCname(const Name& target) { return EncodeName(target); }
  static Result<Name> DecodeCname(std::span<const std::uint8_t> r) { return DecodeName(r); }
  static std::vector<std::uint8_t> EncodeNs(const Name& host) { return EncodeName(host); }
  static Result<Name> DecodeNs(std::span<const std::uint8_t> r) { return DecodeName(r); }

  static std::vector<std::uint8_t> EncodeA(const std::array<std::uint8_t, 4>& address);
  static std::vector<std::uint8_t> EncodeAaaa(const std::array<std::uint8_t, 16>& address);
  // From text ("192.0.2.1", "2001:db8::1"); InvalidArgument when not an address of that family.
  static Result<std::vector<std::uint8_t>> EncodeA(std::string_view text);
  static Result<std::vector<std::uint8_t>> EncodeAaaa(std::string_view text);

  // TXT: each string at most 255 bytes (InvalidArgument otherwise), at least one string.
  static Result<std::vector<std::uint8_t>> EncodeTxt(const std::vector<std::string>& strings);
};

// ---- Writing ------------------------------------------------------------------------------

enum class Section : std::uint8_t { kAnswer = 1, kAuthority = 2, kAdditional = 3 };

// Builds one message into a byte buffer, never larger than the limit given at construction
// (512 for plain UDP, the client's EDNS size, 65535 for TCP). Owner names, question names and
// the names inside the RDATA of the compressible types are compressed against the names
// written before them (exact-byte matches, so case is preserved), through a hash table of the
// offsets of every suffix written: the cost per record does not grow with the message.
//
// Questions, then answer, authority and additional records must be added in that order (an
// entry for an earlier section is refused). AddQuestion/AddRecord return false and leave the
// message unchanged when the entry would take it over the limit: the caller finishes this
// message and starts the next one (when entry_count() is 0 the entry can never fit). Finish() fills
// in the header and counts and returns the bytes; the writer is then empty and can build the next
// message (its buffers and table are reused).
//
// A message that will be signed must leave room for the TSIG record: build it with a limit of
// `limit - TsigSigner::record_size()`.
class MessageWriter {
 public:
  explicit MessageWriter(std::size_t max_size = kMaxMessageSize);
  MessageWriter(const MessageWriter&) = delete;
  MessageWriter& operator=(const MessageWriter&) = delete;
  MessageWriter(MessageWriter&&) = default;
  MessageWriter& operator=(MessageWriter&&) = default;
  ~MessageWriter();

  // The header to write; may be changed until Finish().
  Header& header() { return header_; }

  bool AddQuestion(const Question& q);
  bool AddRecord(Section section, const Record& r);
  // Adds the OPT record for `edns` to the additional section.
  bool AddEdns(const Edns& edns) { return AddRecord(Section::kAdditional, edns.ToRecord()); }

  // Bytes written so far (header included) and the limit.
  std::size_t size() const { return buf_.size(); }
  std::size_t max_size() const { return max_size_; }
  // Questions plus records added since the last Finish().
  std::size_t entry_count() const;

  // Writes the header and counts; returns the message and empties the writer.
  std::vector<std::uint8_t> Finish();
  // Drops everything added since the last Finish() (the header is kept).
  void Clear();

 private:
  struct Slot;
  bool WriteName(std::span<const std::uint8_t> name, bool compress);
  bool WriteRdata(std::uint16_t type, std::span<const std::uint8_t> rdata);
  bool Lookup(std::uint32_t hash, std::span<const std::uint8_t> suffix, std::uint16_t* offset);
  void Insert(std::uint32_t hash, std::uint16_t offset);
  bool MatchesAt(std::span<const std::uint8_t> suffix, std::size_t offset) const;
  void Rollback(std::size_t size);
  void Put16(std::uint16_t v);
  void Put32(std::uint32_t v);

  std::size_t max_size_;
  Header header_;
  std::vector<std::uint8_t> buf_;
  std::array<std::uint16_t, 4> counts_{};
  int section_ = 0;  // 0 question, then Section values
  std::vector<Slot> table_;
  std::size_t table_used_ = 0;
  std::uint16_t generation_ = 1;
  std::vector<std::uint32_t> undo_;  // slots filled by the entry being written
  bool overflow_ = false;
};

// ---- TCP ----------------------------------------------------------------------------------

// Appends `message` with its 2-byte big-endian length prefix (RFC 1035 §4.2.2 / RFC 7766).
// InvalidArgument when the message is over 65535 bytes.
Status AppendTcpFrame(std::span<const std::uint8_t> message, std::vector<std::uint8_t>* out);
// The 2-byte prefix for a message of `size` bytes. REQUIRES: size <= 65535.
std::array<std::uint8_t, 2> TcpLengthPrefix(std::size_t size);
// When `*buffer` starts with a complete frame, returns its message and advances `*buffer` past
// it; otherwise returns nothing and leaves `*buffer` alone (read more bytes and call again).
std::optional<std::span<const std::uint8_t>> TakeTcpFrame(std::span<const std::uint8_t>* buffer);

}  // namespace interdict::dns
