#include "dns/wire.h"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <utility>

namespace interdict::dns {

struct NameAccess {
  static Name Make(std::string wire, std::size_t labels) { return {std::move(wire), labels}; }
};

namespace {

constexpr std::size_t kHeaderSize = 12;
// The largest offset a compression pointer can hold (14 bits).
constexpr std::size_t kMaxPointerTarget = 0x3FFF;

std::uint16_t Get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

std::uint32_t Get32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

void Append16(std::vector<std::uint8_t>* out, std::uint16_t v) {
  out->push_back(static_cast<std::uint8_t>(v >> 8));
  out->push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void Append32(std::vector<std::uint8_t>* out, std::uint32_t v) {
  out->push_back(static_cast<std::uint8_t>(v >> 24));
  out->push_back(static_cast<std::uint8_t>((v >> 16) & 0xFF));
  out->push_back(static_cast<std::uint8_t>((v >> 8) & 0xFF));
  out->push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void AppendBytes(std::vector<std::uint8_t>* out, std::span<const std::uint8_t> bytes) {
  out->insert(out->end(), bytes.begin(), bytes.end());
}

constexpr std::uint8_t Fold(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + ('a' - 'A')) : c;
}

Status Corrupt(std::size_t offset, std::string_view what) {
  return Status::Corruption("DNS message offset " + std::to_string(offset) + ": " +
                            std::string(what));
}

// The size of the uncompressed wire-form name at the start of `wire`, or 0 when there is no
// valid one there. *labels is set to its label count.
std::size_t UncompressedNameSize(std::span<const std::uint8_t> wire, std::size_t* labels) {
  std::size_t p = 0;
  std::size_t n = 0;
  while (true) {
    if (p >= wire.size()) return 0;
    const std::uint8_t len = wire[p];
    if (len == 0) break;
    if (len > kMaxLabelSize) return 0;
    p += std::size_t{len} + 1;
    ++n;
  }
  ++p;
  if (p > kMaxNameWireSize) return 0;
  *labels = n;
  return p;
}

// How the RDATA of a compressible type is laid out: `prefix` fixed bytes, `names` names, then
// `suffix` fixed bytes.
struct RdataLayout {
  std::uint8_t prefix;
  std::uint8_t names;
  std::uint8_t suffix;
};

std::optional<RdataLayout> CompressibleLayout(std::uint16_t type) {
  switch (type) {
    case kTypeNS:
    case kTypeMD:
    case kTypeMF:
    case kTypeCNAME:
    case kTypeMB:
    case kTypeMG:
    case kTypeMR:
    case kTypePTR: return RdataLayout{0, 1, 0};
    case kTypeSOA: return RdataLayout{0, 2, 20};
    case kTypeMINFO: return RdataLayout{0, 2, 0};
    case kTypeMX: return RdataLayout{2, 1, 0};
    default: return std::nullopt;
  }
}

// ---- Parsing ----

class Parser {
 public:
  explicit Parser(std::span<const std::uint8_t> msg) : msg_(msg) {}

  // Reads a possibly compressed name at *pos and appends its uncompressed form to `out`; the
  // inline part must end by `limit`. *pos moves past the inline part.
  Status ReadName(std::size_t* pos, std::size_t limit, std::string* out, std::size_t* labels) {
    std::uint8_t buf[kMaxNameWireSize];
    std::size_t n = 0;
    std::size_t count = 0;
    std::size_t p = *pos;
    std::size_t bound = *pos;  // pointers must land before the piece being read
    std::size_t lim = limit;
    std::optional<std::size_t> end;
    while (true) {
      if (p >= lim) return Corrupt(p, "name runs past the end of its data");
      const std::uint8_t len = msg_[p];
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= lim) return Corrupt(p, "truncated compression pointer");
        const std::size_t target = (std::size_t{len & 0x3Fu} << 8) | msg_[p + 1];
        if (target >= bound) {
          return Corrupt(p, "compression pointer to offset " + std::to_string(target) +
                                " does not point backwards");
        }
        if (target < kHeaderSize) {
          return Corrupt(p, "compression pointer into the header");
        }
        if (!end) end = p + 2;
        bound = target;
        p = target;
        lim = msg_.size();
        continue;
      }
      if ((len & 0xC0) != 0) return Corrupt(p, "unsupported label type");
      if (len == 0) {
        buf[n++] = 0;
        if (!end) end = p + 1;
        break;
      }
      if (p + 1 + len > lim) return Corrupt(p, "label runs past the end of its data");
      if (n + 1 + len + 1 > kMaxNameWireSize) return Corrupt(p, "name longer than 255 bytes");
      std::memcpy(buf + n, &msg_[p], std::size_t{len} + 1);
      n += std::size_t{len} + 1;
      p += std::size_t{len} + 1;
      ++count;
    }
    out->append(reinterpret_cast<const char*>(buf), n);
    *labels = count;
    *pos = *end;
    return Status::Ok();
  }

  Result<Name> ReadName(std::size_t* pos, std::size_t limit) {
    std::string wire;
    std::size_t labels = 0;
    RETURN_IF_ERROR(ReadName(pos, limit, &wire, &labels));
    return NameAccess::Make(std::move(wire), labels);
  }

  Status Need(std::size_t pos, std::size_t n, std::string_view what) const {
    if (n > msg_.size() || pos > msg_.size() - n) {
      return Corrupt(pos, std::string(what) + " runs past the end of the message");
    }
    return Status::Ok();
  }

  Result<Question> ReadQuestion(std::size_t* pos) {
    Question q;
    ASSIGN_OR_RETURN(q.name, ReadName(pos, msg_.size()));
    RETURN_IF_ERROR(Need(*pos, 4, "question"));
    q.type = Get16(msg_, *pos);
    q.klass = Get16(msg_, *pos + 2);
    *pos += 4;
    return q;
  }

  Result<Record> ReadRecord(std::size_t* pos) {
    Record r;
    ASSIGN_OR_RETURN(r.name, ReadName(pos, msg_.size()));
    RETURN_IF_ERROR(Need(*pos, 10, "record header"));
    r.type = Get16(msg_, *pos);
    r.klass = Get16(msg_, *pos + 2);
    r.ttl = Get32(msg_, *pos + 4);
    const std::size_t rdlength = Get16(msg_, *pos + 8);
    *pos += 10;
    RETURN_IF_ERROR(Need(*pos, rdlength, "RDATA"));
    const std::size_t start = *pos;
    const std::size_t end = start + rdlength;
    const std::optional<RdataLayout> layout = CompressibleLayout(r.type);
    if (!layout || rdlength == 0) {
      // Empty RDATA is kept as is for every type (dynamic update uses it).
      r.rdata.assign(msg_.begin() + static_cast<std::ptrdiff_t>(start),
                     msg_.begin() + static_cast<std::ptrdiff_t>(end));
      *pos = end;
      return r;
    }
    std::string out;
    std::size_t p = start;
    if (end - p < layout->prefix) return Corrupt(p, "RDATA shorter than its fixed fields");
    out.append(reinterpret_cast<const char*>(&msg_[p]), layout->prefix);
    p += layout->prefix;
    for (int i = 0; i < layout->names; ++i) {
      std::size_t labels = 0;
      RETURN_IF_ERROR(ReadName(&p, end, &out, &labels));
    }
    if (end - p != layout->suffix) {
      return Corrupt(start, "RDATA length " + std::to_string(rdlength) + " does not match its " +
                                TypeName(r.type) + " fields");
    }
    out.append(reinterpret_cast<const char*>(msg_.data() + p), layout->suffix);
    r.rdata.assign(out.begin(), out.end());
    *pos = end;
    return r;
  }

 private:
  std::span<const std::uint8_t> msg_;
};

Header DecodeHeader(std::span<const std::uint8_t> b) {
  Header h;
  h.id = Get16(b, 0);
  const std::uint16_t flags = Get16(b, 2);
  h.qr = (flags & 0x8000) != 0;
  h.opcode = static_cast<std::uint8_t>((flags >> 11) & 0xF);
  h.aa = (flags & 0x0400) != 0;
  h.tc = (flags & 0x0200) != 0;
  h.rd = (flags & 0x0100) != 0;
  h.ra = (flags & 0x0080) != 0;
  h.ad = (flags & 0x0020) != 0;
  h.cd = (flags & 0x0010) != 0;
  h.rcode = static_cast<std::uint8_t>(flags & 0xF);
  return h;
}

std::uint16_t EncodeFlags(const Header& h) {
  unsigned f = 0;
  if (h.qr) f |= 0x8000;
  f |= (unsigned{h.opcode} & 0xF) << 11;
  if (h.aa) f |= 0x0400;
  if (h.tc) f |= 0x0200;
  if (h.rd) f |= 0x0100;
  if (h.ra) f |= 0x0080;
  if (h.ad) f |= 0x0020;
  if (h.cd) f |= 0x0010;
  f |= unsigned{h.rcode} & 0xF;
  return static_cast<std::uint16_t>(f);
}

void AppendDecimal3(std::string* out, std::uint8_t b) {
  out->push_back('\\');
  out->push_back(static_cast<char>('0' + b / 100));
  out->push_back(static_cast<char>('0' + (b / 10) % 10));
  out->push_back(static_cast<char>('0' + b % 10));
}

// The 64-bit FNV-1a step used for the writer's suffix table.
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

}  // namespace

// ---- Names ----

Name::Name() : wire_(1, '\0') {}

Result<Name> Name::FromText(std::string_view text) {
  if (text.empty() || text == ".") return Name();
  std::string wire;
  wire.reserve(std::min(text.size() + 2, kMaxNameWireSize + 1));
  std::size_t label_start = 0;
  wire.push_back('\0');
  std::size_t labels = 0;
  auto close_label = [&]() -> Status {
    const std::size_t len = wire.size() - label_start - 1;
    if (len == 0)
      return Status::InvalidArgument("empty label in name \"" + std::string(text) + "\"");
    wire[label_start] = static_cast<char>(len);
    ++labels;
    return Status::Ok();
  };
  bool closed = false;  // the last character was a label-ending dot
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '.') {
      RETURN_IF_ERROR(close_label());
      ++i;
      if (i == text.size()) {
        closed = true;
        break;
      }
      label_start = wire.size();
      wire.push_back('\0');
      continue;
    }
    char byte = c;
    if (c == '\\') {
      if (i + 1 >= text.size()) {
        return Status::InvalidArgument("name \"" + std::string(text) + "\" ends with a backslash");
      }
      const char next = text[i + 1];
      if (next >= '0' && next <= '9') {
        if (text.size() - i < 4) {
          return Status::InvalidArgument("name \"" + std::string(text) +
                                         "\": \\DDD needs three digits");
        }
        int value = 0;
        for (std::size_t k = 1; k <= 3; ++k) {
          const char d = text[i + k];
          if (d < '0' || d > '9') {
            return Status::InvalidArgument("name \"" + std::string(text) +
                                           "\": \\DDD needs three digits");
          }
          value = value * 10 + (d - '0');
        }
        if (value > 255) {
          return Status::InvalidArgument("name \"" + std::string(text) + "\": \\" +
                                         std::string(text.substr(i + 1, 3)) + " is over 255");
        }
        byte = static_cast<char>(value);
        i += 4;
      } else {
        byte = next;
        i += 2;
      }
    } else {
      ++i;
    }
    wire.push_back(byte);
    if (wire.size() - label_start - 1 > kMaxLabelSize) {
      return Status::InvalidArgument("label longer than 63 bytes in name \"" + std::string(text) +
                                     "\"");
    }
    if (wire.size() + 1 > kMaxNameWireSize) {
      return Status::InvalidArgument("name \"" + std::string(text) + "\" is longer than 255 bytes");
    }
  }
  if (!closed) RETURN_IF_ERROR(close_label());
  wire.push_back('\0');
  if (wire.size() > kMaxNameWireSize) {
    return Status::InvalidArgument("name \"" + std::string(text) + "\" is longer than 255 bytes");
  }
  return Name(std::move(wire), labels);
}

Result<Name> Name::ReadUncompressed(std::span<const std::uint8_t> wire, std::size_t* consumed) {
  std::size_t labels = 0;
  const std::size_t size = UncompressedNameSize(wire, &labels);
  if (size == 0) return Status::Corruption("malformed uncompressed domain name");
  *consumed = size;
  return Name(std::string(reinterpret_cast<const char*>(wire.data()), size), labels);
}

Result<Name> Name::FromWire(std::span<const std::uint8_t> wire) {
  std::size_t consumed = 0;
  ASSIGN_OR_RETURN(Name n, ReadUncompressed(wire, &consumed));
  if (consumed != wire.size()) return Status::Corruption("bytes after the end of a domain name");
  return n;
}

std::string Name::ToText() const {
  if (labels_ == 0) return ".";
  std::string out;
  out.reserve(wire_.size() + 8);
  std::size_t p = 0;
  while (true) {
    const auto len = static_cast<std::size_t>(static_cast<std::uint8_t>(wire_[p]));
    if (len == 0) break;
    for (std::size_t k = 1; k <= len; ++k) {
      const auto b = static_cast<std::uint8_t>(wire_[p + k]);
      switch (b) {
        case '.':
        case '\\':
        case '"':
        case '(':
        case ')':
        case ';':
        case '@':
        case '$':
          out.push_back('\\');
          out.push_back(static_cast<char>(b));
          break;
        default:
          if (b < 0x21 || b > 0x7E) {
            AppendDecimal3(&out, b);
          } else {
            out.push_back(static_cast<char>(b));
          }
      }
    }
    out.push_back('.');
    p += len + 1;
  }
  return out;
}

std::string_view Name::label(std::size_t i) const {
  assert(i < labels_);
  std::size_t p = 0;
  for (std::size_t k = 0; k < i; ++k) p += static_cast<std::uint8_t>(wire_[p]) + std::size_t{1};
  return std::string_view(wire_).substr(p + 1, static_cast<std::uint8_t>(wire_[p]));
}

std::vector<std::string_view> Name::labels() const {
  std::vector<std::string_view> out;
  out.reserve(labels_);
  std::size_t p = 0;
  for (std::size_t k = 0; k < labels_; ++k) {
    const std::size_t len = static_cast<std::uint8_t>(wire_[p]);
    out.push_back(std::string_view(wire_).substr(p + 1, len));
    p += len + 1;
  }
  return out;
}

Name Name::Lowercase() const {
  std::string w = wire_;
  for (char& c : w) c = static_cast<char>(Fold(static_cast<std::uint8_t>(c)));
  return {std::move(w), labels_};
}

Name Name::Suffix(std::size_t n) const {
  if (n >= labels_) return {};
  std::size_t p = 0;
  for (std::size_t k = 0; k < n; ++k) p += static_cast<std::uint8_t>(wire_[p]) + std::size_t{1};
  return {wire_.substr(p), labels_ - n};
}

Result<Name> Name::Concat(const Name& suffix) const {
  const std::size_t size = wire_.size() - 1 + suffix.wire_.size();
  if (size > kMaxNameWireSize) {
    return Status::InvalidArgument("name " + ToText() + " + " + suffix.ToText() +
                                   " is longer than 255 bytes");
  }
  std::string w;
  w.reserve(size);
  w.append(wire_, 0, wire_.size() - 1);
  w.append(suffix.wire_);
  return Name(std::move(w), labels_ + suffix.labels_);
}

namespace {
bool EqualFolded(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Fold(static_cast<std::uint8_t>(a[i])) != Fold(static_cast<std::uint8_t>(b[i]))) {
      return false;
    }
  }
  return true;
}
}  // namespace

bool Name::IsSubdomainOf(const Name& ancestor) const {
  if (ancestor.labels_ > labels_) return false;
  std::size_t p = 0;
  for (std::size_t k = 0; k < labels_ - ancestor.labels_; ++k) {
    p += static_cast<std::uint8_t>(wire_[p]) + std::size_t{1};
  }
  return EqualFolded(std::string_view(wire_).substr(p), ancestor.wire_);
}

bool operator==(const Name& a, const Name& b) {
  return a.labels_ == b.labels_ && EqualFolded(a.wire_, b.wire_);
}

int CanonicalCompare(const Name& a, const Name& b) {
  std::array<std::uint8_t, 128> oa{};
  std::array<std::uint8_t, 128> ob{};
  const auto wa = a.wire();
  const auto wb = b.wire();
  const std::size_t na = a.label_count();
  const std::size_t nb = b.label_count();
  for (std::size_t k = 0, p = 0; k < na; ++k, p += wa[p] + std::size_t{1}) {
    oa[k] = static_cast<std::uint8_t>(p);
  }
  for (std::size_t k = 0, p = 0; k < nb; ++k, p += wb[p] + std::size_t{1}) {
    ob[k] = static_cast<std::uint8_t>(p);
  }
  std::size_t ia = na;
  std::size_t ib = nb;
  while (ia > 0 && ib > 0) {
    --ia;
    --ib;
    const std::size_t pa = oa[ia];
    const std::size_t pb = ob[ib];
    const std::size_t la = wa[pa];
    const std::size_t lb = wb[pb];
    const std::size_t common = std::min(la, lb);
    for (std::size_t k = 1; k <= common; ++k) {
      const std::uint8_t ca = Fold(wa[pa + k]);
      const std::uint8_t cb = Fold(wb[pb + k]);
      if (ca != cb) return ca < cb ? -1 : 1;
    }
    if (la != lb) return la < lb ? -1 : 1;
  }
  if (ia == ib) return 0;
  return ia == 0 ? -1 : 1;
}

std::size_t NameHash::operator()(const Name& n) const {
  std::uint64_t h = kFnvOffset;
  for (const std::uint8_t b : n.wire()) h = (h ^ Fold(b)) * kFnvPrime;
  return static_cast<std::size_t>(h);
}

// ---- Names of numbers ----

std::string TypeName(std::uint16_t type) {
  switch (type) {
    case kTypeA: return "A";
    case kTypeNS: return "NS";
    case kTypeMD: return "MD";
    case kTypeMF: return "MF";
    case kTypeCNAME: return "CNAME";
    case kTypeSOA: return "SOA";
    case kTypeMB: return "MB";
    case kTypeMG: return "MG";
    case kTypeMR: return "MR";
    case kTypePTR: return "PTR";
    case kTypeMINFO: return "MINFO";
    case kTypeMX: return "MX";
    case kTypeTXT: return "TXT";
    case kTypeAAAA: return "AAAA";
    case kTypeOPT: return "OPT";
    case kTypeTSIG: return "TSIG";
    case kTypeIXFR: return "IXFR";
    case kTypeAXFR: return "AXFR";
    case kTypeANY: return "ANY";
    default: return "TYPE" + std::to_string(type);
  }
}

std::string RcodeName(std::uint16_t rcode, bool tsig) {
  switch (rcode) {
    case kRcodeNoError: return "NOERROR";
    case kRcodeFormErr: return "FORMERR";
    case kRcodeServFail: return "SERVFAIL";
    case kRcodeNxDomain: return "NXDOMAIN";
    case kRcodeNotImp: return "NOTIMP";
    case kRcodeRefused: return "REFUSED";
    case kRcodeNotAuth: return "NOTAUTH";
    case 16: return tsig ? "BADSIG" : "BADVERS";
    case kRcodeBadKey: return "BADKEY";
    case kRcodeBadTime: return "BADTIME";
    case kRcodeBadTrunc: return "BADTRUNC";
    default: return "RCODE" + std::to_string(rcode);
  }
}

// ---- EDNS ----

Record Edns::ToRecord() const {
  Record r;
  r.type = kTypeOPT;
  r.klass = udp_payload_size;
  r.ttl = (std::uint32_t{extended_rcode} << 24) | (std::uint32_t{version} << 16) |
          (dnssec_ok ? 0x8000u : 0u);
  r.rdata = options;
  return r;
}

Result<Edns> Edns::FromRecord(const Record& r) {
  if (r.type != kTypeOPT) return Status::Corruption("not an OPT record");
  if (!r.name.is_root()) return Status::Corruption("OPT record owner is not the root");
  std::size_t p = 0;
  while (p < r.rdata.size()) {
    if (r.rdata.size() - p < 4) return Status::Corruption("truncated EDNS option header");
    const std::size_t len = Get16(r.rdata, p + 2);
    if (r.rdata.size() - p - 4 < len) return Status::Corruption("EDNS option runs past RDATA");
    p += 4 + len;
  }
  Edns e;
  e.udp_payload_size = r.klass;
  e.extended_rcode = static_cast<std::uint8_t>(r.ttl >> 24);
  e.version = static_cast<std::uint8_t>((r.ttl >> 16) & 0xFF);
  e.dnssec_ok = (r.ttl & 0x8000) != 0;
  e.options = r.rdata;
  return e;
}

// ---- Messages ----

Result<Header> ParseHeader(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderSize) {
    return Corrupt(0, "message of " + std::to_string(bytes.size()) +
                          " bytes is shorter than the 12-byte header");
  }
  return DecodeHeader(bytes);
}

Result<Message> ParseMessage(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxMessageSize) {
    return Corrupt(0, "message of " + std::to_string(bytes.size()) + " bytes exceeds 65535");
  }
  Message m;
  ASSIGN_OR_RETURN(m.header, ParseHeader(bytes));
  const std::size_t qd = Get16(bytes, 4);
  const std::size_t an = Get16(bytes, 6);
  const std::size_t ns = Get16(bytes, 8);
  const std::size_t ar = Get16(bytes, 10);
  // A question takes at least 5 bytes (root name, type, class), a record at least 11.
  const std::size_t minimum = qd * 5 + (an + ns + ar) * 11;
  if (minimum > bytes.size() - kHeaderSize) {
    return Corrupt(4, "counts (" + std::to_string(qd) + ", " + std::to_string(an) + ", " +
                          std::to_string(ns) + ", " + std::to_string(ar) + ") need at least " +
                          std::to_string(minimum) + " bytes, " +
                          std::to_string(bytes.size() - kHeaderSize) + " left");
  }
  Parser parser(bytes);
  std::size_t pos = kHeaderSize;
  m.question.reserve(qd);
  for (std::size_t i = 0; i < qd; ++i) {
    ASSIGN_OR_RETURN(Question q, parser.ReadQuestion(&pos));
    m.question.push_back(std::move(q));
  }
  std::vector<Record>* sections[] = {&m.answer, &m.authority, &m.additional};
  const std::size_t counts[] = {an, ns, ar};
  for (std::size_t s = 0; s < 3; ++s) {
    sections[s]->reserve(counts[s]);
    for (std::size_t i = 0; i < counts[s]; ++i) {
      const std::size_t start = pos;
      ASSIGN_OR_RETURN(Record r, parser.ReadRecord(&pos));
      if (r.type == kTypeOPT) {
        if (s != 2) return Corrupt(start, "OPT record outside the additional section");
        if (m.edns) return Corrupt(start, "second OPT record");
        Result<Edns> e = Edns::FromRecord(r);
        if (!e.ok()) return Corrupt(start, e.status().message());
        m.edns = std::move(e).value();
      } else if (r.type == kTypeTSIG) {
        if (s != 2 || i + 1 != counts[s]) {
          return Corrupt(start, "TSIG record is not the last record of the message");
        }
        m.tsig_offset = start;
      }
      sections[s]->push_back(std::move(r));
    }
  }
  if (pos != bytes.size()) {
    return Corrupt(pos, std::to_string(bytes.size() - pos) + " bytes after the last record");
  }
  return m;
}

// ---- RDATA helpers ----

std::vector<std::uint8_t> Rdata::Soa::Encode() const {
  std::vector<std::uint8_t> out;
  out.reserve(mname.wire_size() + rname.wire_size() + 20);
  AppendBytes(&out, mname.wire());
  AppendBytes(&out, rname.wire());
  for (const std::uint32_t v : {serial, refresh, retry, expire, minimum}) Append32(&out, v);
  return out;
}

Result<Rdata::Soa> Rdata::Soa::Decode(std::span<const std::uint8_t> rdata) {
  Soa soa;
  std::size_t used = 0;
  ASSIGN_OR_RETURN(soa.mname, Name::ReadUncompressed(rdata, &used));
  rdata = rdata.subspan(used);
  ASSIGN_OR_RETURN(soa.rname, Name::ReadUncompressed(rdata, &used));
  rdata = rdata.subspan(used);
  if (rdata.size() != 20) return Status::Corruption("SOA RDATA: wrong length");
  soa.serial = Get32(rdata, 0);
  soa.refresh = Get32(rdata, 4);
  soa.retry = Get32(rdata, 8);
  soa.expire = Get32(rdata, 12);
  soa.minimum = Get32(rdata, 16);
  return soa;
}

std::vector<std::uint8_t> Rdata::Mx::Encode() const {
  std::vector<std::uint8_t> out(2 + exchange.wire_size());
  out[0] = static_cast<std::uint8_t>(preference >> 8);
  out[1] = static_cast<std::uint8_t>(preference & 0xFF);
  std::copy(exchange.wire().begin(), exchange.wire().end(), out.begin() + 2);
  return out;
}

Result<Rdata::Mx> Rdata::Mx::Decode(std::span<const std::uint8_t> rdata) {
  if (rdata.size() < 3) return Status::Corruption("MX RDATA: too short");
  Mx mx;
  mx.preference = Get16(rdata, 0);
  ASSIGN_OR_RETURN(mx.exchange, Name::FromWire(rdata.subspan(2)));
  return mx;
}

std::vector<std::uint8_t> Rdata::EncodeName(const Name& name) {
  const auto w = name.wire();
  return {w.begin(), w.end()};
}

Result<Name> Rdata::DecodeName(std::span<const std::uint8_t> rdata) {
  return Name::FromWire(rdata);
}

std::vector<std::uint8_t> Rdata::EncodeA(const std::array<std::uint8_t, 4>& address) {
  return {address.begin(), address.end()};
}

std::vector<std::uint8_t> Rdata::EncodeAaaa(const std::array<std::uint8_t, 16>& address) {
  return {address.begin(), address.end()};
}

Result<std::vector<std::uint8_t>> Rdata::EncodeA(std::string_view text) {
  std::array<std::uint8_t, 4> a{};
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), a.data()) != 1) {
    return Status::InvalidArgument("not an IPv4 address: \"" + s + "\"");
  }
  return EncodeA(a);
}

Result<std::vector<std::uint8_t>> Rdata::EncodeAaaa(std::string_view text) {
  std::array<std::uint8_t, 16> a{};
  const std::string s(text);
  if (inet_pton(AF_INET6, s.c_str(), a.data()) != 1) {
    return Status::InvalidArgument("not an IPv6 address: \"" + s + "\"");
  }
  return EncodeAaaa(a);
}

Result<std::vector<std::uint8_t>> Rdata::EncodeTxt(const std::vector<std::string>& strings) {
  if (strings.empty()) return Status::InvalidArgument("TXT needs at least one string");
  std::vector<std::uint8_t> out;
  for (const std::string& s : strings) {
    if (s.size() > 255) return Status::InvalidArgument("TXT string longer than 255 bytes");
    out.push_back(static_cast<std::uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
  if (out.size() > 65535) return Status::InvalidArgument("TXT RDATA longer than 65535 bytes");
  return out;
}

// ---- Writer ----

struct MessageWriter::Slot {
  std::uint32_t hash;
  std::uint16_t offset;
  std::uint16_t generation;  // the slot is in use when this equals the writer's generation
};

MessageWriter::MessageWriter(std::size_t max_size)
    : max_size_(std::clamp(max_size, kHeaderSize, kMaxMessageSize)) {
  // Only offsets below 16384 can be pointed to, and each label takes at least two bytes; a
  // quarter of that bounds what a real message stores. Past 3/4 full the table stops growing
  // (later names are still written, just less compressed).
  const std::size_t reachable = std::min(max_size_, kMaxPointerTarget + 1);
  const std::size_t capacity = std::clamp<std::size_t>(std::bit_ceil(reachable / 4), 64, 4096);
  table_.assign(capacity, Slot{0, 0, 0});
  buf_.reserve(std::min<std::size_t>(max_size_, 4096));
  buf_.resize(kHeaderSize);
  undo_.reserve(std::size_t{3} * 128);  // SOA and MINFO: three names of up to 127 labels
}

MessageWriter::~MessageWriter() = default;

std::size_t MessageWriter::entry_count() const {
  std::size_t n = 0;
  for (const std::uint16_t c : counts_) n += c;
  return n;
}

void MessageWriter::Put16(std::uint16_t v) {
  if (overflow_ || max_size_ - buf_.size() < 2) {
    overflow_ = true;
    return;
  }
  Append16(&buf_, v);
}

void MessageWriter::Put32(std::uint32_t v) {
  if (overflow_ || max_size_ - buf_.size() < 4) {
    overflow_ = true;
    return;
  }
  Append32(&buf_, v);
}

bool MessageWriter::MatchesAt(std::span<const std::uint8_t> suffix, std::size_t offset) const {
  // Names in the buffer were written by this writer: their pointers are valid and go backwards.
  std::size_t p = 0;
  std::size_t q = offset;
  while (true) {
    const std::uint8_t len = buf_[q];
    if ((len & 0xC0) == 0xC0) {
      q = (std::size_t{len & 0x3Fu} << 8) | buf_[q + 1];
      continue;
    }
    if (len != suffix[p]) return false;
    if (len == 0) return true;
    if (std::memcmp(&buf_[q + 1], &suffix[p + 1], len) != 0) return false;
    p += std::size_t{len} + 1;
    q += std::size_t{len} + 1;
  }
}

bool MessageWriter::Lookup(std::uint32_t hash, std::span<const std::uint8_t> suffix,
                           std::uint16_t* offset) {
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = table_[i];
    if (s.generation != generation_) return false;
    if (s.hash == hash && MatchesAt(suffix, s.offset)) {
      *offset = s.offset;
      return true;
    }
  }
}

void MessageWriter::Insert(std::uint32_t hash, std::uint16_t offset) {
  if (table_used_ >= table_.size() / 4 * 3) return;
  const std::size_t mask = table_.size() - 1;
  std::size_t i = hash & mask;
  while (table_[i].generation == generation_) i = (i + 1) & mask;
  table_[i] = Slot{hash, offset, generation_};
  ++table_used_;
  undo_.push_back(static_cast<std::uint32_t>(i));
}

bool MessageWriter::WriteName(std::span<const std::uint8_t> name, bool compress) {
  if (overflow_) return false;
  std::array<std::uint8_t, 128> starts;  // label offsets inside `name`
  std::size_t n = 0;
  for (std::size_t p = 0; name[p] != 0; p += name[p] + std::size_t{1}) {
    starts[n++] = static_cast<std::uint8_t>(p);
  }
  std::size_t match = n;
  std::uint16_t target = 0;
  std::array<std::uint32_t, 128> hashes;
  if (compress && n > 0) {
    // Hash every suffix, from the root up, then look for the longest one already written.
    std::uint64_t h = kFnvOffset;
    for (std::size_t k = n; k-- > 0;) {
      const std::size_t p = starts[k];
      for (std::size_t j = p; j <= p + name[p]; ++j) h = (h ^ name[j]) * kFnvPrime;
      hashes[k] = static_cast<std::uint32_t>(h ^ (h >> 32));
    }
    for (std::size_t k = 0; k < n; ++k) {
      if (Lookup(hashes[k], name.subspan(starts[k]), &target)) {
        match = k;
        break;
      }
    }
  }
  const std::size_t inline_size = match < n ? starts[match] + std::size_t{2} : name.size();
  if (max_size_ - buf_.size() < inline_size) {
    overflow_ = true;
    return false;
  }
  const std::size_t base = buf_.size();
  const std::size_t copied = match < n ? starts[match] : name.size();
  buf_.insert(buf_.end(), name.begin(), name.begin() + static_cast<std::ptrdiff_t>(copied));
  if (compress) {
    for (std::size_t k = 0; k < match; ++k) {
      const std::size_t at = base + starts[k];
      if (at > kMaxPointerTarget) break;
      Insert(hashes[k], static_cast<std::uint16_t>(at));
    }
  }
  if (match < n) Append16(&buf_, static_cast<std::uint16_t>(0xC000 | target));
  return true;
}

bool MessageWriter::WriteRdata(std::uint16_t type, std::span<const std::uint8_t> rdata) {
  const std::size_t length_at = buf_.size();
  Put16(0);
  if (overflow_) return false;
  const std::optional<RdataLayout> layout = CompressibleLayout(type);
  bool raw = !layout || rdata.empty();
  std::array<std::span<const std::uint8_t>, 2> names;
  if (!raw) {
    // Check the whole layout before writing anything; RDATA that does not match its type's
    // layout is written as it is.
    std::size_t p = layout->prefix;
    for (std::uint8_t i = 0; i < layout->names && !raw; ++i) {
      std::size_t labels = 0;
      const std::size_t size =
          p <= rdata.size() ? UncompressedNameSize(rdata.subspan(p), &labels) : 0;
      if (size == 0) {
        raw = true;
      } else {
        names[i] = rdata.subspan(p, size);
        p += size;
      }
    }
    if (!raw && (rdata.size() < p || rdata.size() - p != layout->suffix)) raw = true;
  }
  if (raw) {
    if (max_size_ - buf_.size() < rdata.size()) {
      overflow_ = true;
      return false;
    }
    AppendBytes(&buf_, rdata);
  } else {
    if (max_size_ - buf_.size() < layout->prefix) {
      overflow_ = true;
      return false;
    }
    AppendBytes(&buf_, rdata.first(layout->prefix));
    for (std::uint8_t i = 0; i < layout->names; ++i) {
      if (!WriteName(names[i], true)) return false;
    }
    if (max_size_ - buf_.size() < layout->suffix) {
      overflow_ = true;
      return false;
    }
    AppendBytes(&buf_, rdata.last(layout->suffix));
  }
  const std::size_t length = buf_.size() - length_at - 2;
  buf_[length_at] = static_cast<std::uint8_t>(length >> 8);
  buf_[length_at + 1] = static_cast<std::uint8_t>(length & 0xFF);
  return true;
}

void MessageWriter::Rollback(std::size_t size) {
  buf_.resize(size);
  // Empty the slots this entry filled. They are the newest entries, so no older entry's probe
  // sequence runs through them: the table is exactly as it was before the entry.
  for (const std::uint32_t slot : undo_) {
    table_[slot].generation = 0;
    --table_used_;
  }
  undo_.clear();
  overflow_ = false;
}

bool MessageWriter::AddQuestion(const Question& q) {
  if (section_ > 0) return false;  // questions come before records
  if (counts_[0] == 0xFFFF) return false;
  const std::size_t start = buf_.size();
  undo_.clear();
  overflow_ = false;
  WriteName(q.name.wire(), true);
  Put16(q.type);
  Put16(q.klass);
  if (overflow_) {
    Rollback(start);
    return false;
  }
  undo_.clear();
  ++counts_[0];
  return true;
}

bool MessageWriter::AddRecord(Section section, const Record& r) {
  const int s = static_cast<int>(section);
  if (s < section_) return false;  // sections are written in order
  if (counts_[static_cast<std::size_t>(s)] == 0xFFFF || r.rdata.size() > 0xFFFF) return false;
  const std::size_t start = buf_.size();
  undo_.clear();
  overflow_ = false;
  const bool compress = r.type != kTypeOPT && r.type != kTypeTSIG;
  WriteName(r.name.wire(), compress);
  Put16(r.type);
  Put16(r.klass);
  Put32(r.ttl);
  if (!overflow_) WriteRdata(r.type, r.rdata);
  if (overflow_) {
    Rollback(start);
    return false;
  }
  undo_.clear();
  section_ = s;
  ++counts_[static_cast<std::size_t>(s)];
  return true;
}

void MessageWriter::Clear() {
  buf_.resize(kHeaderSize);
  counts_ = {};
  section_ = 0;
  undo_.clear();
  overflow_ = false;
  table_used_ = 0;
  if (++generation_ == 0) {
    for (Slot& s : table_) s.generation = 0;
    generation_ = 1;
  }
}

std::vector<std::uint8_t> MessageWriter::Finish() {
  const std::uint16_t flags = EncodeFlags(header_);
  const std::array<std::uint16_t, 6> head = {header_.id, flags,      counts_[0],
                                             counts_[1], counts_[2], counts_[3]};
  for (std::size_t i = 0; i < head.size(); ++i) {
    buf_[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
    buf_[2 * i + 1] = static_cast<std::uint8_t>(head[i] & 0xFF);
  }
  std::vector<std::uint8_t> out;
  out.reserve(std::min<std::size_t>(max_size_, std::max<std::size_t>(buf_.capacity(), 512)));
  out.swap(buf_);
  buf_.resize(kHeaderSize);
  Clear();
  return out;
}

// ---- TCP ----

std::array<std::uint8_t, 2> TcpLengthPrefix(std::size_t size) {
  assert(size <= kMaxMessageSize);
  return {static_cast<std::uint8_t>((size >> 8) & 0xFF), static_cast<std::uint8_t>(size & 0xFF)};
}

Status AppendTcpFrame(std::span<const std::uint8_t> message, std::vector<std::uint8_t>* out) {
  if (message.size() > kMaxMessageSize) {
    return Status::InvalidArgument("DNS message of " + std::to_string(message.size()) +
                                   " bytes does not fit a TCP frame");
  }
  const auto prefix = TcpLengthPrefix(message.size());
  out->insert(out->end(), prefix.begin(), prefix.end());
  AppendBytes(out, message);
  return Status::Ok();
}

std::optional<std::span<const std::uint8_t>> TakeTcpFrame(std::span<const std::uint8_t>* buffer) {
  if (buffer->size() < 2) return std::nullopt;
  const std::size_t len = Get16(*buffer, 0);
  if (buffer->size() - 2 < len) return std::nullopt;
  const std::span<const std::uint8_t> frame = buffer->subspan(2, len);
  *buffer = buffer->subspan(2 + len);
  return frame;
}

}  // namespace interdict::dns
