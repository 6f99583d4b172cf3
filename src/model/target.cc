// Target normalization. See target.h for the canonical forms.
//
// Layout: small text helpers, then domains (an allocation-light ASCII fast path and a per-label
// libidn2 path for names with non-ASCII bytes), IPs and CIDRs, URLs (a tolerant pre-encoding pass
// that makes register URLs parseable, Boost.URL for the strict parse, then RFC 3986 §6.2.2
// normalization), apps, and the kind dispatch.
//
// Internal normalizers report a "problem" (a std::string, empty when there is none) instead of a
// Status, so that a URL can say `url "...": host "...": label 2 is empty` rather than nesting
// the full domain message; the public functions add the `kind "input": ` prefix.
#include "model/target.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <boost/url/authority_view.hpp>
#include <boost/url/host_type.hpp>
#include <boost/url/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace interdict {
namespace {

// A description of what is wrong with an input; empty means nothing is.
using Problem = std::string;

constexpr std::size_t kMaxDomainLength = 253;  // RFC 1035, without the trailing dot
constexpr std::size_t kMaxLabelLength = 63;
// A non-ASCII name longer than this cannot map to a 253-octet A-label name in any useful way
// (UTS #46 may delete characters, but not this many); it bounds the work done by libidn2.
constexpr std::size_t kMaxUnicodeDomainBytes = 1024;
constexpr std::size_t kMaxUrlLength = 8192;
constexpr std::size_t kQuoteLimit = 80;

constexpr int kIdnaFlags = IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL;

constexpr bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
constexpr bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr char ToLowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ToUpperAscii(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
constexpr unsigned char Byte(char c) {
  return static_cast<unsigned char>(c);
}
constexpr int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;  // REQUIRES: IsHexDigit(c)
}
constexpr char kHexUpper[] = "0123456789ABCDEF";

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool IsAllAscii(std::string_view s) {
  for (char c : s) {
    if (Byte(c) >= 0x80) return false;
  }
  return true;
}

void AppendHexByte(unsigned char b, std::string* out) {
  out->push_back(kHexUpper[b >> 4]);
  out->push_back(kHexUpper[b & 0x0F]);
}

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), or 0 if there is none.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const unsigned char b0 = Byte(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  const unsigned char b1 = Byte(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    const unsigned char b = Byte(s[i + k]);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return len;
}

// `"input"` for a message: at most ~80 bytes (cut at a character boundary, then "..."), with
// quotes, backslashes, control bytes and bytes that are not UTF-8 written as escapes, so that a
// message is one line of valid UTF-8 whatever the input was.
std::string Quote(std::string_view s) {
  bool truncated = false;
  if (s.size() > kQuoteLimit) {
    std::size_t n = kQuoteLimit;
    while (n > 0 && (Byte(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
    truncated = true;
  }
  std::string out;
  out.reserve(s.size() + 8);
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const unsigned char b = Byte(c);
    if (b >= 0x80) {
      const std::size_t len = Utf8SequenceLength(s, i);
      if (len > 0) {
        out.append(s.substr(i, len));
        i += len;
        continue;
      }
    }
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (b < 0x20 || b >= 0x7F) {
      out.append("\\x");
      AppendHexByte(b, &out);
    } else {
      out.push_back(c);
    }
    ++i;
  }
  if (truncated) out.append("...");
  out.push_back('"');
  return out;
}

// `' '` or `'\x01'`.
std::string DescribeChar(char c) {
  std::string out = "'";
  const unsigned char b = Byte(c);
  if (c == '\'' || c == '\\') {
    out.push_back('\\');
    out.push_back(c);
  } else if (b < 0x20 || b >= 0x7F) {
    out.append("\\x");
    AppendHexByte(b, &out);
  } else {
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

Status Invalid(std::string_view what, std::string_view input, std::string_view problem) {
  std::string msg(what);
  msg.push_back(' ');
  msg.append(Quote(input));
  msg.append(": ");
  msg.append(problem);
  return Status::InvalidArgument(std::move(msg));
}

// Owns a buffer returned by libidn2.
struct IdnFree {
  void operator()(std::uint8_t* p) const { idn2_free(p); }
};
using IdnString = std::unique_ptr<std::uint8_t, IdnFree>;

// Runs idn2_lookup_u8 on `text` (which must not contain NUL). Returns the idn2 return code.
int IdnLookup(std::string_view text, std::string* out) {
  const std::string z(text);  // idn2 wants a NUL-terminated string
  std::uint8_t* raw = nullptr;
  const int rc = idn2_lookup_u8(reinterpret_cast<const std::uint8_t*>(z.c_str()), &raw, kIdnaFlags);
  const IdnString owned(raw);
  if (rc == IDN2_OK && owned != nullptr) out->assign(reinterpret_cast<const char*>(owned.get()));
  return rc;
}

// ---------------------------------------------------------------------------------------------
// Domains

// For each byte: its lowercase form if it may appear in a label, else 0.
constexpr std::array<char, 256> MakeDomainCharTable() {
  std::array<char, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<char>(c - 'A' + 'a');
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  t[static_cast<std::size_t>('-')] = '-';
  t[static_cast<std::size_t>('_')] = '_';
  return t;
}
constexpr std::array<char, 256> kDomainChar = MakeDomainCharTable();

// IDN top-level domains common in the registers, with their A-labels (checked against libidn2
// by the tests). Converting or checking these with libidn2 on every name would cost more than
// all the rest of the normalization.
struct KnownIdnLabel {
  std::string_view u_label;
  std::string_view a_label;
};
constexpr std::array<KnownIdnLabel, 15> kKnownIdnLabels = {{
    {"\u0440\u0444", "xn--p1ai"},                                      // рф
    {"\u0440\u0443\u0441", "xn--p1acf"},                               // рус
    {"\u0431\u0435\u043b", "xn--90ais"},                               // бел
    {"\u0443\u043a\u0440", "xn--j1amh"},                               // укр
    {"\u043e\u043d\u043b\u0430\u0439\u043d", "xn--80asehdb"},          // онлайн
    {"\u0441\u0430\u0439\u0442", "xn--80aswg"},                        // сайт
    {"\u043e\u0440\u0433", "xn--c1avg"},                               // орг
    {"\u043c\u043e\u0441\u043a\u0432\u0430", "xn--80adxhks"},          // москва
    {"\u0441\u0440\u0431", "xn--90a3ac"},                              // срб
    {"\u043c\u043a\u0434", "xn--d1alf"},                               // мкд
    {"\u049b\u0430\u0437", "xn--80ao21a"},                             // қаз
    {"\u0434\u0435\u0442\u0438", "xn--d1acj3b"},                       // дети
    {"\u043a\u043e\u043c", "xn--j1aef"},                               // ком
    {"\u043d\u0435\u0442", "xn--e1apq"},                               // нет
    {"\u043a\u0430\u0442\u043e\u043b\u0438\u043a", "xn--80aqecdr1a"},  // католик
}};

bool IsKnownGoodALabel(std::string_view label) {
  for (const KnownIdnLabel& known : kKnownIdnLabels) {
    if (label == known.a_label) return true;
  }
  return false;
}

std::string_view KnownALabelFor(std::string_view u_label) {
  for (const KnownIdnLabel& known : kKnownIdnLabels) {
    if (u_label == known.u_label) return known.a_label;
  }
  return {};
}

std::string LabelName(std::size_t index) {
  return "label " + std::to_string(index);
}

// Checks one lowercase label that starts with "xn--": it must decode to a valid U-label that
// encodes back to the same A-label.
Problem CheckALabel(std::string_view label, std::size_t index) {
  if (IsKnownGoodALabel(label)) return {};
  std::string round_trip;
  const int rc = IdnLookup(label, &round_trip);
  if (rc != IDN2_OK) {
    return LabelName(index) + " (" + Quote(label) +
           ") is not a valid A-label: " + idn2_strerror(rc);
  }
  if (round_trip != label) {
    return LabelName(index) + " (" + Quote(label) + ") is not a canonical A-label (it maps to " +
           Quote(round_trip) + ")";
  }
  return {};
}

Problem CheckLabelEnd(std::string_view label, std::size_t index) {
  if (label.empty()) return LabelName(index) + " is empty";
  if (label.size() > kMaxLabelLength) {
    return LabelName(index) + " is " + std::to_string(label.size()) + " octets, the limit is " +
           std::to_string(kMaxLabelLength);
  }
  if (label.front() == '-') return LabelName(index) + " begins with a hyphen";
  if (label.back() == '-') return LabelName(index) + " ends with a hyphen";
  return {};
}

// Labels (by 1-based index) whose A-label libidn2 itself just produced from a U-label, so need no
// second check. A 253-octet name has at most 127 labels.
using TrustedLabels = std::bitset<128>;

// Validates and lowercases an ASCII name (no trailing dot) into *out. The fast path: one pass,
// one allocation (none for short names), no libidn2 unless a label is an A-label.
Problem NormalizeAsciiName(std::string_view name, std::string* out,
                           const TrustedLabels& trusted = {}) {
  if (name.empty()) return "the name is empty";
  if (name.size() > kMaxDomainLength) {
    return "the name is " + std::to_string(name.size()) + " octets, the limit is " +
           std::to_string(kMaxDomainLength);
  }
  out->resize(name.size());
  char* dst = out->data();
  std::size_t label_start = 0;
  std::size_t last_label_start = 0;
  std::size_t label_index = 1;
  bool any_alabel = false;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      const std::string_view label(dst + label_start, i - label_start);
      Problem p = CheckLabelEnd(label, label_index);
      if (!p.empty()) return p;
      if (label.size() >= 4 && label.substr(0, 4) == "xn--") any_alabel = true;
      if (i < name.size()) dst[i] = '.';
      last_label_start = label_start;
      label_start = i + 1;
      ++label_index;
      continue;
    }
    const char c = kDomainChar[Byte(name[i])];
    if (c == 0) {
      Problem p =
          "character " + DescribeChar(name[i]) + " is not allowed in " + LabelName(label_index);
      if (name[i] == '*') p += " (a leading \"*.\" marks a domain-tree target)";
      return p;
    }
    dst[i] = c;
  }
  const std::size_t label_count = label_index - 1;
  if (label_count < 2) return "a single label is not a site";
  const std::string_view last = std::string_view(*out).substr(last_label_start);
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && IsDigit(c);
  if (all_digits) {
    return "the last label " + Quote(last) + " is all digits; an IP address is not a domain";
  }
  if (any_alabel) {
    std::string_view rest(*out);
    for (std::size_t index = 1; !rest.empty(); ++index) {
      const std::size_t dot = rest.find('.');
      const std::string_view label = rest.substr(0, dot);
      if (label.size() >= 4 && label.substr(0, 4) == "xn--" &&
          !(index < trusted.size() && trusted[index])) {
        Problem p = CheckALabel(label, index);
        if (!p.empty()) return p;
      }
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
  }
  return {};
}

// Length of a label separator at s[i]: "." or one of the dots UTS #46 maps to "." (U+3002
// IDEOGRAPHIC FULL STOP, U+FF0E FULLWIDTH FULL STOP, U+FF61 HALFWIDTH IDEOGRAPHIC FULL STOP).
std::size_t DotLength(std::string_view s, std::size_t i) {
  if (s[i] == '.') return 1;
  if (s.size() - i < 3) return 0;
  const std::string_view three = s.substr(i, 3);
  if (three == "\xE3\x80\x82" || three == "\xEF\xBC\x8E" || three == "\xEF\xBD\xA1") return 3;
  return 0;
}

// A name with non-ASCII bytes: each non-ASCII label goes through IDNA 2008 / UTS #46 lookup
// (libidn2), ASCII labels are kept, and the result is checked like any ASCII name. Converting
// label by label lets errors say which label is wrong.
Problem NormalizeUnicodeName(std::string_view name, std::string* out) {
  if (name.size() > kMaxUnicodeDomainBytes) {
    return "the name is " + std::to_string(name.size()) +
           " bytes, far over the limit of 253 octets";
  }
  std::string ascii;
  ascii.reserve(name.size() * 2);
  TrustedLabels trusted;
  std::size_t label_index = 1;  // in `name`, for messages
  std::size_t ascii_index = 1;  // in `ascii`, which has more labels if a mapping made a dot
  std::size_t start = 0;
  for (std::size_t i = 0; i <= name.size();) {
    const std::size_t dot = i < name.size() ? DotLength(name, i) : 1;
    if (dot == 0) {
      if (name[i] == '\0') {
        return "character " + DescribeChar('\0') + " is not allowed in " + LabelName(label_index);
      }
      ++i;
      continue;
    }
    const std::string_view label = name.substr(start, i - start);
    if (IsAllAscii(label)) {
      ascii.append(label);
    } else if (const std::string_view known = KnownALabelFor(label); !known.empty()) {
      ascii.append(known);
    } else {
      std::string converted;
      const int rc = IdnLookup(label, &converted);
      if (rc != IDN2_OK) {
        return LabelName(label_index) + " (" + Quote(label) +
               ") is not a valid internationalized label: " + idn2_strerror(rc);
      }
      const std::size_t dots =
          static_cast<std::size_t>(std::count(converted.begin(), converted.end(), '.'));
      if (dots == 0 && ascii_index < trusted.size()) trusted.set(ascii_index);
      ascii_index += dots;
      ascii.append(converted);
    }
    if (i < name.size()) ascii.push_back('.');
    i += dot;
    start = i;
    ++label_index;
    ++ascii_index;
  }
  return NormalizeAsciiName(ascii, out, trusted);
}

// `name` is already trimmed.
Problem NormalizeDomainName(std::string_view name, std::string* out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return "the name is empty";
  if (IsAllAscii(name)) return NormalizeAsciiName(name, out);
  return NormalizeUnicodeName(name, out);
}

// ---------------------------------------------------------------------------------------------
// IP addresses and CIDRs

struct IpAddress {
  int family = AF_INET;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
  std::size_t size() const { return family == AF_INET ? 4 : 16; }
  std::size_t bits() const { return size() * 8; }
};

std::string FormatIp(const IpAddress& ip) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (inet_ntop(ip.family, ip.bytes.data(), buf.data(), static_cast<socklen_t>(buf.size())) ==
      nullptr) {
    return {};  // cannot happen for a valid family and buffer
  }
  return {buf.data()};
}

bool LooksLikeIpv4(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c) && c != '.') return false;
  }
  return true;
}

// Looks enough like an address that an address error helps more than a domain error.
bool LooksLikeIp(std::string_view s) {
  if (s.empty()) return false;
  if (LooksLikeIpv4(s)) return s.find('.') != std::string_view::npos;
  if (s.find(':') == std::string_view::npos) return false;
  for (char c : s.substr(0, s.find('%'))) {  // "fe80::1%eth0": the zone id may be anything
    if (!IsHexDigit(c) && c != ':' && c != '.') return false;
  }
  return true;
}

bool IsV4Mapped(const IpAddress& ip) {
  static constexpr std::array<unsigned char, 12> kPrefix = {0, 0, 0, 0, 0,    0,
                                                            0, 0, 0, 0, 0xff, 0xff};
  return ip.family == AF_INET6 && std::equal(kPrefix.begin(), kPrefix.end(), ip.bytes.begin());
}

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address: one spelling for both.
void UnmapV4(IpAddress* ip) {
  std::copy(ip->bytes.begin() + 12, ip->bytes.end(), ip->bytes.begin());
  std::fill(ip->bytes.begin() + 4, ip->bytes.end(), 0);
  ip->family = AF_INET;
}

// `s` is trimmed. An IPv4-mapped address becomes IPv4 unless keep_mapped.
Problem ParseIp(std::string_view s, IpAddress* ip, bool keep_mapped = false) {
  if (s.empty()) return "the address is empty";
  if (s.find('%') != std::string_view::npos) return "zone ids (\"%...\") are not allowed";
  if (s.size() >= INET6_ADDRSTRLEN) return "not an IPv4 or IPv6 address";
  if (LooksLikeIpv4(s)) {
    std::string_view rest = s;
    for (int octet = 1; !rest.empty(); ++octet) {
      const std::size_t dot = rest.find('.');
      const std::string_view part = rest.substr(0, dot);
      if (part.size() > 1 && part.front() == '0') {
        return "octet " + std::to_string(octet) + " (" + Quote(part) +
               ") has a leading zero, which is ambiguous (octal?)";
      }
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
  }
  std::array<char, INET6_ADDRSTRLEN> z{};
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\0') return "not an IPv4 or IPv6 address";
    z[i] = s[i];
  }
  if (inet_pton(AF_INET, z.data(), ip->bytes.data()) == 1) {
    ip->family = AF_INET;
    return {};
  }
  if (inet_pton(AF_INET6, z.data(), ip->bytes.data()) == 1) {
    ip->family = AF_INET6;
    if (!keep_mapped && IsV4Mapped(*ip)) UnmapV4(ip);
    return {};
  }
  return "not an IPv4 or IPv6 address";
}

// `s` is trimmed.
Problem ParseCidr(std::string_view s, IpAddress* network, unsigned* length) {
  const std::size_t slash = s.find('/');
  if (slash == std::string_view::npos) return "no \"/prefix-length\"";
  Problem p = ParseIp(s.substr(0, slash), network, true);
  if (!p.empty()) return p;
  const std::string_view len = s.substr(slash + 1);
  if (len.empty()) return "the prefix length is empty";
  for (char c : len) {
    if (!IsDigit(c)) return "the prefix length " + Quote(len) + " is not a decimal number";
  }
  if (len.size() > 1 && len.front() == '0') {
    return "the prefix length " + Quote(len) + " has a leading zero";
  }
  if (len.size() > 3) return "the prefix length " + Quote(len) + " is out of range";
  unsigned value = 0;
  for (char c : len) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > network->bits()) {
    return "the prefix length " + std::to_string(value) + " is over " +
           std::to_string(network->bits()) + " for an " +
           (network->family == AF_INET ? "IPv4" : "IPv6") + " address";
  }
  // A network inside ::ffff:0:0/96 is an IPv4 network.
  if (IsV4Mapped(*network) && value >= 96) {
    UnmapV4(network);
    value -= 96;
  }
  *length = value;
  // Clear the host bits and see whether that changed anything.
  IpAddress masked = *network;
  for (std::size_t i = 0; i < masked.size(); ++i) {
    const std::size_t bit = i * 8;
    if (bit >= value) {
      masked.bytes[i] = 0;
    } else if (value - bit < 8) {
      const auto keep = static_cast<unsigned>(8 - (value - bit));
      masked.bytes[i] = static_cast<unsigned char>(masked.bytes[i] & (0xFFu << keep));
    }
  }
  if (masked.bytes != network->bytes) {
    return "host bits are set; did you mean " + FormatIp(masked) + "/" + std::to_string(value) +
           "?";
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// URLs

using CharSet = std::array<bool, 256>;

constexpr void AddChars(CharSet& set, std::string_view chars) {
  for (char c : chars) set[Byte(c)] = true;
}

constexpr CharSet MakeUnreserved() {
  CharSet s{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    s[static_cast<std::size_t>(c)] = IsAlpha(ch) || IsDigit(ch);
  }
  AddChars(s, "-._~");
  return s;
}
constexpr CharSet kUnreserved = MakeUnreserved();

constexpr CharSet MakePchar() {  // RFC 3986: pchar = unreserved / pct-encoded / sub-delims / : @
  CharSet s = MakeUnreserved();
  AddChars(s, "!$&'()*+,;=:@");
  return s;
}
constexpr CharSet MakePathChars() {
  CharSet s = MakePchar();
  AddChars(s, "/");
  return s;
}
constexpr CharSet MakeQueryChars() {
  CharSet s = MakePchar();
  AddChars(s, "/?");
  return s;
}
constexpr CharSet MakeAuthorityChars() {  // what Boost.URL may see raw in an authority
  CharSet s = MakeUnreserved();
  AddChars(s, "!$&'()*+,;=:@[]");
  return s;
}
constexpr CharSet kPathChars = MakePathChars();
constexpr CharSet kQueryChars = MakeQueryChars();
constexpr CharSet kAuthorityChars = MakeAuthorityChars();

// Appends `in` with every byte that may not appear raw in the component percent-encoded, and
// every valid %XX escape normalized (RFC 3986 §6.2.2.2): unreserved characters decoded, the rest
// upper-case hex. A '%' that does not start an escape is data and becomes %25.
void AppendNormalizedComponent(std::string_view in, const CharSet& allowed, bool decode_unreserved,
                               std::string* out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%' && in.size() - i >= 3 && IsHexDigit(in[i + 1]) && IsHexDigit(in[i + 2])) {
      const auto decoded =
          static_cast<unsigned char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      if (decode_unreserved && kUnreserved[decoded]) {
        out->push_back(static_cast<char>(decoded));
      } else {
        out->push_back('%');
        AppendHexByte(decoded, out);
      }
      i += 2;
    } else if (c != '%' && allowed[Byte(c)]) {
      out->push_back(c);
    } else {
      out->push_back('%');
      AppendHexByte(Byte(c), out);
    }
  }
}

// RFC 3986 §5.2.4 remove_dot_segments, for a path that is empty or starts with '/'. Appends the
// result to *out.
void AppendWithoutDotSegments(std::string_view in, std::string* out) {
  const std::size_t base = out->size();
  auto pop_segment = [&] {
    const std::size_t slash = out->rfind('/');
    out->resize(slash == std::string::npos || slash < base ? base : slash);
  };
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./" || in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../") {
      in.remove_prefix(3);
      pop_segment();
    } else if (in == "/..") {
      in = "/";
      pop_segment();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const std::size_t next = in.find('/', 1);
      const std::string_view segment = in.substr(0, next);
      out->append(segment);
      in.remove_prefix(segment.size());
    }
  }
}

bool IsSchemeChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.';
}

// Canonical host of a URL from Boost's parse. `u` has an authority.
Problem NormalizeUrlHost(const boost::urls::authority_view& u, std::string* out) {
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6: {
      const std::string_view text = u.encoded_host_address();
      IpAddress ip;
      Problem p = ParseIp(text, &ip);  // [::ffff:a.b.c.d] becomes a.b.c.d
      if (!p.empty()) return "host " + Quote(text) + ": " + p;
      const bool v6 = ip.family == AF_INET6;
      out->append(v6 ? "[" : "").append(FormatIp(ip)).append(v6 ? "]" : "");
      return {};
    }
    case boost::urls::host_type::name: {
      const std::string_view encoded = u.encoded_host();
      std::string decoded;
      std::string_view name = encoded;
      if (encoded.find('%') != std::string_view::npos) {
        decoded = u.host();
        name = decoded;
      }
      if (name.empty()) return "there is no host";
      if (LooksLikeIpv4(name)) {  // e.g. a percent-encoded address, or octets with leading zeros
        IpAddress ip;
        Problem p = ParseIp(name, &ip);
        if (!p.empty()) return "host " + Quote(name) + ": " + p;
        out->append(FormatIp(ip));
        return {};
      }
      std::string domain;
      Problem p = NormalizeDomainName(name, &domain);
      if (!p.empty()) return "host " + Quote(name) + ": " + p;
      out->append(domain);
      return {};
    }
    case boost::urls::host_type::ipvfuture:
      return "IPvFuture hosts (" + Quote(u.encoded_host()) + ") are not supported";
    case boost::urls::host_type::none: return "there is no host";
  }
  return "there is no host";
}

// Appends ":port" unless the port is absent, empty or the scheme's default.
Problem AppendUrlPort(const boost::urls::authority_view& u, bool https, std::string* out) {
  if (!u.has_port()) return {};
  std::string_view port = u.port();
  for (char c : port) {
    if (!IsDigit(c)) return "port " + Quote(port) + " is not a number";
  }
  while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
  if (port.empty()) return {};  // "http://host:/" is the default port (RFC 3986 §6.2.3)
  unsigned value = 0;
  if (port.size() <= 5) {
    for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (port.size() > 5 || value > 65535 || value == 0) {
    return "port " + Quote(port) + " is out of range (1-65535)";
  }
  if (value == (https ? 443u : 80u)) return {};
  out->push_back(':');
  out->append(port);
  return {};
}

// Explains why Boost.URL rejected an authority (as written, before pre-encoding).
Problem DiagnoseAuthority(std::string_view authority, const std::string& boost_message) {
  const std::size_t bracket = authority.rfind(']');
  if (authority.find('[') != std::string_view::npos &&
      authority.find('%') != std::string_view::npos) {
    return "zone ids (\"%...\") are not allowed in an IPv6 host";
  }
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    const std::string_view port = authority.substr(colon + 1);
    for (char c : port) {
      if (!IsDigit(c)) return "port " + Quote(port) + " is not a number";
    }
  }
  return "cannot parse the host and port " + Quote(authority) + ": " + boost_message;
}

// `s` is trimmed and has no prefix star.
Problem NormalizeUrlText(std::string_view s, bool prefix, std::string* out) {
  // Split as in RFC 3986 appendix B; this never fails, it only finds the components.
  const std::size_t colon = s.find_first_of(":/?#");
  if (colon == std::string_view::npos || colon == 0 || s[colon] != ':') {
    return "there is no scheme; expected \"http://\" or \"https://\"";
  }
  const std::string_view scheme_in = s.substr(0, colon);
  if (!IsAlpha(scheme_in.front())) return "the scheme " + Quote(scheme_in) + " is malformed";
  for (char c : scheme_in) {
    if (!IsSchemeChar(c)) return "the scheme " + Quote(scheme_in) + " is malformed";
  }
  bool https = false;
  if (EqualsIgnoreCase(scheme_in, "https")) {
    https = true;
  } else if (!EqualsIgnoreCase(scheme_in, "http")) {
    std::string lower(scheme_in);
    for (char& c : lower) c = ToLowerAscii(c);
    return "the scheme " + Quote(lower) + " is not supported; only http and https are";
  }
  std::string_view rest = s.substr(colon + 1);
  if (rest.substr(0, 2) != "//") return "there is no host; expected \"scheme://host\"";
  rest.remove_prefix(2);
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  rest.remove_prefix(authority.size());
  const std::size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);  // the fragment is dropped
  const std::size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  const bool has_query = question != std::string_view::npos;
  const std::string_view query = has_query ? rest.substr(question + 1) : std::string_view();

  // Pre-encode: every byte that may not appear raw in its component is percent-encoded, so that
  // register URLs with raw UTF-8, spaces and the like normalize instead of failing. The path and
  // query get their final percent-encoding here; the authority keeps its escapes for the host.
  std::string buf;
  buf.reserve(s.size() + 16);
  const std::size_t at = authority.find('@');
  const std::size_t host_start = at == std::string_view::npos ? 0 : at + 1;
  AppendNormalizedComponent(authority.substr(0, host_start), kAuthorityChars, false, &buf);
  std::string_view host_and_port = authority.substr(host_start);
  if (!host_and_port.empty() && IsDigit(host_and_port.front())) {
    // Boost.URL 1.81 reads "1.2.3.4.nip.io" as the IPv4 address 1.2.3.4 and rejects the rest
    // (parse_uri even moves it into the path). An escaped first digit makes the host a reg-name,
    // which NormalizeUrlHost decodes and checks as an address itself when it looks like one.
    buf.append("%3").push_back(host_and_port.front());
    host_and_port.remove_prefix(1);
  }
  AppendNormalizedComponent(host_and_port, kAuthorityChars, false, &buf);
  const std::size_t path_start = buf.size();
  AppendNormalizedComponent(path, kPathChars, true, &buf);
  const std::size_t query_start = buf.size();
  if (has_query) AppendNormalizedComponent(query, kQueryChars, true, &buf);
  const std::string_view buf_view(buf);
  const std::string_view norm_authority = buf_view.substr(0, path_start);
  const std::string_view norm_path = buf_view.substr(path_start, query_start - path_start);
  const std::string_view norm_query = buf_view.substr(query_start);

  // The strict parse. Only the authority: the path and query are valid by construction, and
  // Boost.URL 1.81's parse_uri splits some authorities wrongly ("http://host:x/" becomes port ""
  // and path "x/"), which parse_authority, needing the whole input to match, does not.
  auto parsed = boost::urls::parse_authority(norm_authority);
  if (!parsed) return DiagnoseAuthority(authority, parsed.error().message());
  const boost::urls::authority_view& u = *parsed;
  if (u.has_userinfo()) return "userinfo (\"user@\" before the host) is not allowed";

  out->reserve(buf.size() + 16);
  out->append(https ? "https://" : "http://");
  Problem p = NormalizeUrlHost(u, out);
  if (!p.empty()) return p;
  p = AppendUrlPort(u, https, out);
  if (!p.empty()) return p;
  if (norm_path.empty()) {
    out->push_back('/');
  } else {
    AppendWithoutDotSegments(norm_path, out);
  }
  // An empty query is dropped, except in a prefix rule, where "page?*" (any query of page) says
  // something other than "page*" (page, page2, ...).
  if (has_query && (!norm_query.empty() || prefix)) {
    out->push_back('?');
    out->append(norm_query);
  }
  if (prefix) {
    out->push_back('*');
  } else if (out->back() == '*') {
    // A literal star that ends up last ("http://x/a*#frag", "http://x/a*?") must not read back
    // as a prefix rule; escaped, it stays a literal.
    out->pop_back();
    out->append("%2A");
  }
  if (out->size() > kMaxUrlLength) {
    return "the normalized URL is " + std::to_string(out->size()) + " bytes, the limit is " +
           std::to_string(kMaxUrlLength);
  }
  return {};
}

Problem NormalizeUrlProblem(std::string_view input, std::string* out) {
  if (input.size() > kMaxUrlLength) {
    return "the URL is " + std::to_string(input.size()) + " bytes, the limit is " +
           std::to_string(kMaxUrlLength);
  }
  std::string_view s = TrimAscii(input);
  if (s.empty()) return "the URL is empty";
  bool prefix = false;
  if (s.back() == '*') {
    prefix = true;
    s.remove_suffix(1);
  }
  try {
    return NormalizeUrlText(s, prefix, out);
  } catch (const std::exception& e) {  // Boost reports through results; this is a last resort
    return std::string("internal error: ") + e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Apps

constexpr std::array<std::string_view, 6> kStores = {"play",   "apple",   "amazon",
                                                     "huawei", "samsung", "microsoft"};

std::string KnownStores() {
  std::string out;
  for (std::string_view store : kStores) {
    if (!out.empty()) out.append(", ");
    out.append(store);
  }
  return out;
}

bool IsKnownStore(std::string_view name) {
  for (std::string_view store : kStores) {
    if (EqualsIgnoreCase(name, store)) return true;
  }
  return false;
}

Problem CheckAllDigits(std::string_view digits, std::string_view what, std::size_t max_len) {
  if (digits.empty()) return what.empty() ? "no digits" : std::string(what) + " has no digits";
  if (digits.size() > max_len) {
    return std::string(what) + " has more than " + std::to_string(max_len) + " digits";
  }
  for (char c : digits) {
    if (!IsDigit(c)) {
      return std::string(what) + " has " + DescribeChar(c) + " where a digit should be";
    }
  }
  return {};
}

Problem NormalizePlayId(std::string_view id, std::string* out) {
  constexpr std::size_t kMax = 255;
  if (id.size() > kMax) {
    return "the package name is " + std::to_string(id.size()) + " characters, the limit is 255";
  }
  std::size_t segments = 0;
  std::string_view rest = id;
  while (true) {
    ++segments;
    const std::size_t dot = rest.find('.');
    const std::string_view segment = rest.substr(0, dot);
    if (segment.empty()) return "segment " + std::to_string(segments) + " is empty";
    if (!IsAlpha(segment.front())) {
      return "segment " + std::to_string(segments) + " (" + Quote(segment) +
             ") must begin with a letter";
    }
    for (char c : segment) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '_') {
        return "character " + DescribeChar(c) + " is not allowed in a package name";
      }
    }
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (segments < 2) {
    return "a package name has at least two segments (\"com.example.app\")";
  }
  out->append(id);  // package names are case-sensitive
  return {};
}

Problem NormalizeAppProblem(std::string_view input, std::string* out) {
  const std::string_view s = TrimAscii(input);
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos) {
    return "expected \"store:id\" with a store of " + KnownStores();
  }
  const std::string_view store_in = s.substr(0, colon);
  const std::string_view id = TrimAscii(s.substr(colon + 1));
  std::string store(store_in);
  for (char& c : store) c = ToLowerAscii(c);
  if (!IsKnownStore(store)) {
    return "unknown store " + Quote(store_in) + "; the known stores are " + KnownStores();
  }
  if (id.empty()) return "the " + store + " id is empty";
  out->append(store).push_back(':');
  if (store == "play") return NormalizePlayId(id, out);
  if (store == "apple") {
    std::string_view digits = id;
    if (StartsWithIgnoreCase(digits, "id")) digits.remove_prefix(2);
    Problem p = CheckAllDigits(digits, "the App Store id", 20);
    if (!p.empty()) return p;
    if (digits.front() == '0') return "the App Store id " + Quote(digits) + " begins with 0";
    out->append("id").append(digits);
    return {};
  }
  if (store == "amazon") {
    if (id.size() != 10) {
      return "an ASIN is 10 characters, " + Quote(id) + " is " + std::to_string(id.size());
    }
    for (char c : id) {
      if (!IsAlpha(c) && !IsDigit(c)) {
        return "character " + DescribeChar(c) + " is not allowed in an ASIN";
      }
      out->push_back(ToUpperAscii(c));
    }
    return {};
  }
  if (store == "huawei") {
    if (id.front() != 'C' && id.front() != 'c') {
      return "an AppGallery id is \"C\" followed by digits (\"C100123456\")";
    }
    Problem p = CheckAllDigits(id.substr(1), "the AppGallery id", 30);
    if (!p.empty()) return p;
    out->push_back('C');
    out->append(id.substr(1));
    return {};
  }
  // samsung, microsoft
  if (id.size() > 128) {
    return "the id is " + std::to_string(id.size()) + " characters, the limit is 128";
  }
  for (char c : id) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '.' && c != '_' && c != '-') {
      return "character " + DescribeChar(c) + " is not allowed in a " + store + " id";
    }
  }
  out->append(id);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Kinds

constexpr std::array<std::string_view, kTargetKindCount> kKindNames = {
    "domain", "domain-tree", "url", "ip", "cidr", "app", "search"};

std::string KnownKinds() {
  std::string out;
  for (std::string_view name : kKindNames) {
    if (!out.empty()) out.append(", ");
    out.append(name);
  }
  return out;
}

bool FindKind(std::string_view name, TargetKind* kind) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (EqualsIgnoreCase(name, kKindNames[i])) {
      *kind = static_cast<TargetKind>(i);
      return true;
    }
  }
  return false;
}

Result<Target> Make(TargetKind kind, Result<std::string> value) {
  if (!value.ok()) return value.status();
  return Target{kind, std::move(value).value()};
}

}  // namespace

std::string_view TargetKindName(TargetKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  if (index < kKindNames.size()) return kKindNames[index];
  return "unknown";
}

Result<TargetKind> ParseTargetKind(std::string_view name) {
  TargetKind kind = TargetKind::kDomain;
  if (FindKind(name, &kind)) return kind;
  return Status::InvalidArgument("unknown target kind " + Quote(name) + "; the kinds are " +
                                 KnownKinds());
}

std::string Target::ToString() const {
  std::string out(TargetKindName(kind));
  out.push_back(':');
  out.append(value);
  return out;
}

Result<std::string> NormalizeDomain(std::string_view input) {
  const std::string_view s = TrimAscii(input);
  std::string out;
  Problem p = NormalizeDomainName(s, &out);
  if (!p.empty()) return Invalid("domain", s, p);
  return out;
}

Result<std::string> NormalizeUrl(std::string_view input) {
  std::string out;
  Problem p = NormalizeUrlProblem(input, &out);
  if (!p.empty()) return Invalid("url", TrimAscii(input), p);
  return out;
}

Result<std::string> NormalizeIp(std::string_view input) {
  const std::string_view s = TrimAscii(input);
  IpAddress ip;
  Problem p = ParseIp(s, &ip);
  if (!p.empty()) return Invalid("ip", s, p);
  return FormatIp(ip);
}

Result<std::string> NormalizeCidr(std::string_view input) {
  const std::string_view s = TrimAscii(input);
  IpAddress network;
  unsigned length = 0;
  Problem p = ParseCidr(s, &network, &length);
  if (!p.empty()) return Invalid("cidr", s, p);
  return FormatIp(network) + "/" + std::to_string(length);
}

Result<std::string> NormalizeApp(std::string_view input) {
  std::string out;
  Problem p = NormalizeAppProblem(input, &out);
  if (!p.empty()) return Invalid("app", TrimAscii(input), p);
  return out;
}

UrlParts SplitCanonicalUrl(std::string_view url) {
  UrlParts parts;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return parts;
  const std::size_t host_start = scheme_end + 3;
  const std::size_t path_start = url.find('/', host_start);
  if (path_start == std::string_view::npos) return parts;
  parts.valid = true;
  parts.origin = url.substr(0, path_start);
  parts.path = url.substr(path_start);
  std::string_view host = url.substr(host_start, path_start - host_start);
  if (!host.empty() && host.front() == '[') {
    host.remove_prefix(1);
    host = host.substr(0, host.find(']'));
  } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  parts.host = host;
  return parts;
}

bool UrlPathMatches(std::string_view rule_path, bool prefix, std::string_view path) {
  if (prefix) return path.substr(0, rule_path.size()) == rule_path;
  if (path == rule_path) return true;
  const std::size_t question = path.find('?');
  return question != std::string_view::npos && rule_path.find('?') == std::string_view::npos &&
         path.substr(0, question) == rule_path;
}

Result<Target> NormalizeTarget(TargetKind kind, std::string_view input) {
  switch (kind) {
    case TargetKind::kDomain: return Make(kind, NormalizeDomain(input));
    case TargetKind::kDomainTree: {
      std::string_view s = TrimAscii(input);
      const std::string_view original = s;
      if (s.substr(0, 2) == "*.") s.remove_prefix(2);
      if (s.find('*') != std::string_view::npos) {
        return Invalid("domain-tree", original, "'*' is only allowed as a leading \"*.\"");
      }
      std::string out;
      Problem p = NormalizeDomainName(s, &out);
      if (!p.empty()) return Invalid("domain-tree", original, p);
      return Target{kind, std::move(out)};
    }
    case TargetKind::kUrl: return Make(kind, NormalizeUrl(input));
    case TargetKind::kIp: return Make(kind, NormalizeIp(input));
    case TargetKind::kCidr: return Make(kind, NormalizeCidr(input));
    case TargetKind::kApp: return Make(kind, NormalizeApp(input));
    case TargetKind::kSearch: {
      const std::string_view s = TrimAscii(input);
      if (s.find("://") == std::string_view::npos) return Make(kind, NormalizeDomain(s));
      if (!s.empty() && s.back() == '*') {
        return Invalid("search", s, "a delisting request names one URL, not a prefix ('*')");
      }
      return Make(kind, NormalizeUrl(s));
    }
  }
  return Status::InvalidArgument("unknown target kind " + std::to_string(static_cast<int>(kind)));
}

Result<Target> ParseTarget(std::string_view input) {
  const std::string_view s = TrimAscii(input);
  const std::size_t colon = s.find(':');
  const std::string_view head = s.substr(0, colon);
  if (colon != std::string_view::npos) {
    TargetKind kind = TargetKind::kDomain;
    if (FindKind(head, &kind)) return NormalizeTarget(kind, s.substr(colon + 1));
  }
  if (s.find("://") != std::string_view::npos) return NormalizeTarget(TargetKind::kUrl, s);
  if (colon != std::string_view::npos && IsKnownStore(head)) {
    return NormalizeTarget(TargetKind::kApp, s);
  }
  if (s.substr(0, 2) == "*.") return NormalizeTarget(TargetKind::kDomainTree, s);
  const std::size_t slash = s.find('/');
  if (slash != std::string_view::npos && LooksLikeIp(s.substr(0, slash))) {
    return NormalizeTarget(TargetKind::kCidr, s);
  }
  if (LooksLikeIp(s)) return NormalizeTarget(TargetKind::kIp, s);
  return NormalizeTarget(TargetKind::kDomain, s);
}

}  // namespace interdict
