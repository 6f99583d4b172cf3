// Parsers of the guard's data files. Each one walks the text line by line (LineCursor), splits
// CSV lines on commas, and normalizes values with the model's normalizers, so an address or a
// name means here exactly what it means in a target.
#include "guard/data.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "model/target.h"

namespace interdict::guard {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::size_t kQuoteLimit = 64;
constexpr std::size_t kMaxFields = 8;               // more commas than this is not our format
constexpr UnixTime kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z, as ParseTime

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char ToLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// A header word such as "Address", "last_seen" or "last-seen": a letter, then letters, digits,
// '_', '-' or blanks.
bool IsWord(std::string_view s) {
  if (s.empty() || !IsAlpha(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-' || IsBlank(c);
  });
}

// `"value"` for a message: at most kQuoteLimit bytes, printable ASCII as is, anything else as
// \xNN, so that a message is one line of ASCII whatever the input held.
std::string Quote(std::string_view s) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kQuoteLimit; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (s[i] == '"' || s[i] == '\\') {
      out.push_back('\\');
      out.push_back(s[i]);
    } else if (b < 0x20 || b >= 0x7F) {
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    } else {
      out.push_back(s[i]);
    }
  }
  if (s.size() > kQuoteLimit) out += "...";
  out.push_back('"');
  return out;
}

Status LineError(std::string_view file, std::size_t line, std::string_view what) {
  std::string msg(file);
  msg += ':';
  msg += std::to_string(line);
  msg += ": ";
  msg += what;
  return Status::InvalidArgument(std::move(msg));
}

// The model's message without its leading kind word: `cidr "x": problem` -> `"x": problem`.
std::string ModelProblem(const Status& status) {
  const std::string& m = status.message();
  const std::size_t space = m.find(' ');
  if (space < 16 && space + 1 < m.size() && m[space + 1] == '"') {
    return m.substr(space + 1);
  }
  return m;
}

// Walks a text's lines: skips a leading BOM, strips "\r", and counts line numbers from 1.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : rest_(text) {
    if (rest_.substr(0, kUtf8Bom.size()) == kUtf8Bom) rest_.remove_prefix(kUtf8Bom.size());
  }

  // The next line that is not blank or a comment, trimmed; false at the end of the text. A line
  // longer than kMaxLineBytes is an error.
  Result<bool> Next(std::string_view* line) {
    while (!rest_.empty()) {
      const std::size_t eol = rest_.find('\n');
      std::string_view raw = rest_.substr(0, eol);
      rest_ = eol == std::string_view::npos ? std::string_view() : rest_.substr(eol + 1);
      ++number_;
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      if (raw.size() > kMaxLineBytes) {
        return Status(LineError(
            file_, number_, "the line is longer than " + std::to_string(kMaxLineBytes) + " bytes"));
      }
      raw = Trim(raw);
      if (raw.empty() || raw.front() == '#') continue;
      *line = raw;
      ++data_lines_;
      return true;
    }
    return false;
  }

  void set_file(std::string_view file) { file_ = file; }
  std::size_t number() const { return number_; }
  // Lines Next() returned so far: 1 while the first data line is being read.
  std::size_t data_lines() const { return data_lines_; }
  Status Error(std::string_view what) const { return LineError(file_, number_, what); }

 private:
  std::string_view rest_;
  std::string_view file_;
  std::size_t number_ = 0;
  std::size_t data_lines_ = 0;
};

// Splits a CSV line on commas into trimmed fields without surrounding double quotes. More than
// kMaxFields fields is an error.
Status SplitCsv(const LineCursor& cursor, std::string_view line,
                std::vector<std::string_view>* fields) {
  fields->clear();
  for (;;) {
    const std::size_t comma = line.find(',');
    std::string_view field = Trim(line.substr(0, comma));
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
      field = Trim(field.substr(1, field.size() - 2));
    }
    if (fields->size() == kMaxFields) {
      return cursor.Error("more than " + std::to_string(kMaxFields) + " comma-separated fields");
    }
    fields->push_back(field);
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

Status FieldCount(const LineCursor& cursor, const std::vector<std::string_view>& fields,
                  std::size_t want, std::string_view shape) {
  if (fields.size() == want) return Status::Ok();
  return cursor.Error("expected " + std::to_string(want) + " fields (" + std::string(shape) +
                      "), found " + std::to_string(fields.size()));
}

// A CIDR, or a single address as a /32 or /128, in canonical form.
Result<std::string> CidrOrAddress(const LineCursor& cursor, std::string_view s) {
  if (s.find('/') != std::string_view::npos) {
    Result<std::string> cidr = NormalizeCidr(s);
    if (!cidr.ok()) return cursor.Error("not a CIDR: " + ModelProblem(cidr.status()));
    return cidr;
  }
  Result<std::string> ip = NormalizeIp(s);
  if (!ip.ok()) return cursor.Error("not a CIDR or address: " + ModelProblem(ip.status()));
  const bool v6 = ip->find(':') != std::string::npos;
  return *ip + (v6 ? "/128" : "/32");
}

Result<std::uint32_t> Asn(const LineCursor& cursor, std::string_view s) {
  std::string_view digits = s;
  if (digits.size() >= 2 && EqualsIgnoreCase(digits.substr(0, 2), "as")) digits.remove_prefix(2);
  if (!AllDigits(digits) || digits.size() > 10) {
    return cursor.Error("not an AS number: " + Quote(s) + " (expected 13335 or AS13335)");
  }
  std::uint64_t value = 0;
  for (const char c : digits) value = value * 10 + static_cast<std::uint64_t>(c - '0');
  if (value == 0 || value > 0xFFFFFFFFu) {
    return cursor.Error("AS number " + Quote(s) + " is out of range (1 to 4294967295)");
  }
  return static_cast<std::uint32_t>(value);
}

Result<std::string> Domain(const LineCursor& cursor, std::string_view s) {
  Result<std::string> name = NormalizeDomain(s);
  if (!name.ok()) return cursor.Error("not a domain: " + ModelProblem(name.status()));
  return name;
}

Result<UnixTime> LastSeen(const LineCursor& cursor, std::string_view s) {
  if (AllDigits(s)) {
    UnixTime value = 0;
    for (const char c : s) {
      value = value * 10 + (c - '0');
      if (value > kMaxUnixSeconds) {
        return cursor.Error("last-seen " + Quote(s) + " is past the year 9999");
      }
    }
    return value;
  }
  Result<UnixTime> t = ParseTime(s);
  if (!t.ok()) {
    return cursor.Error(
        "last-seen " + Quote(s) +
        " is not Unix seconds, an RFC 3339 instant or a YYYY-MM-DD date: " + t.status().message());
  }
  return t;
}

}  // namespace

std::string ProviderNameFromPath(std::string_view path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  const std::size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && dot > 0) path = path.substr(0, dot);
  return std::string(path);
}

Result<RangeSet> ParseRangeSet(std::string_view text, std::string_view file_name,
                               std::string provider) {
  if (Trim(provider).empty()) {
    return Status::InvalidArgument(std::string(file_name) + ": no provider name");
  }
  RangeSet set;
  set.provider = std::move(provider);
  LineCursor cursor(text);
  cursor.set_file(file_name);
  std::vector<std::string_view> fields;
  std::string_view line;
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, cursor.Next(&line));
    if (!more) break;
    if (line.find(',') == std::string_view::npos) {
      ASSIGN_OR_RETURN(std::string cidr, CidrOrAddress(cursor, line));
      set.cidrs.push_back(std::move(cidr));
      continue;
    }
    RETURN_IF_ERROR(SplitCsv(cursor, line, &fields));
    RETURN_IF_ERROR(FieldCount(cursor, fields, 2, "Type,Address"));
    if (cursor.data_lines() == 1 && IsWord(fields[0]) && IsWord(fields[1])) continue;  // header
    const bool v4 = EqualsIgnoreCase(fields[0], "ipv4");
    if (!v4 && !EqualsIgnoreCase(fields[0], "ipv6")) {
      return cursor.Error("unknown type " + Quote(fields[0]) + " (expected IPv4 or IPv6)");
    }
    ASSIGN_OR_RETURN(std::string cidr, CidrOrAddress(cursor, fields[1]));
    if (v4 == (cidr.find(':') != std::string::npos)) {
      return cursor.Error("type " + std::string(v4 ? "IPv4" : "IPv6") + " but " + cidr + " is an " +
                          (v4 ? "IPv6" : "IPv4") + " range");
    }
    set.cidrs.push_back(std::move(cidr));
  }
  return set;
}

std::string_view WhitelistKindName(WhitelistEntry::Kind kind) {
  switch (kind) {
    case WhitelistEntry::Kind::kDomain: return "domain";
    case WhitelistEntry::Kind::kDomainTree: return "domain-tree";
    case WhitelistEntry::Kind::kCidr: return "cidr";
    case WhitelistEntry::Kind::kIp: return "ip";
    case WhitelistEntry::Kind::kAsn: return "asn";
  }
  return "unknown";
}

Result<std::vector<PassiveDnsRecord>> ParsePassiveDns(std::string_view text,
                                                      std::string_view file_name) {
  std::vector<PassiveDnsRecord> records;
  LineCursor cursor(text);
  cursor.set_file(file_name);
  std::vector<std::string_view> fields;
  std::string_view line;
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, cursor.Next(&line));
    if (!more) break;
    RETURN_IF_ERROR(SplitCsv(cursor, line, &fields));
    RETURN_IF_ERROR(FieldCount(cursor, fields, 3, "domain,ip,last-seen"));
    if (cursor.data_lines() == 1 && IsWord(fields[1])) continue;  // header
    PassiveDnsRecord r;
    ASSIGN_OR_RETURN(r.domain, Domain(cursor, fields[0]));
    Result<std::string> ip = NormalizeIp(fields[1]);
    if (!ip.ok()) return cursor.Error("not an address: " + ModelProblem(ip.status()));
    r.ip = std::move(*ip);
    ASSIGN_OR_RETURN(r.last_seen, LastSeen(cursor, fields[2]));
    records.push_back(std::move(r));
  }
  // One record per (ip, domain), with the most recent last-seen: sort so that it comes first.
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    if (a.ip != b.ip) return a.ip < b.ip;
    if (a.domain != b.domain) return a.domain < b.domain;
    return a.last_seen > b.last_seen;
  });
  records.erase(std::unique(records.begin(), records.end(),
                            [](const auto& a, const auto& b) {
                              return a.ip == b.ip && a.domain == b.domain;
                            }),
                records.end());
  return records;
}

Result<std::vector<WhitelistEntry>> ParseWhitelist(std::string_view text,
                                                   std::string_view file_name) {
  std::vector<WhitelistEntry> entries;
  LineCursor cursor(text);
  cursor.set_file(file_name);
  std::string_view line;
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, cursor.Next(&line));
    if (!more) break;
    const std::size_t blank = line.find_first_of(" \t");
    const std::string_view entry = line.substr(0, blank);
    const std::string_view note =
        blank == std::string_view::npos ? std::string_view() : Trim(line.substr(blank));
    const std::size_t colon = entry.find(':');
    if (colon == std::string_view::npos) {
      return cursor.Error(
          "expected KIND:VALUE NOTE (domain:, domain-tree:, cidr:, ip: or asn:), "
          "found " +
          Quote(entry));
    }
    const std::string_view kind = entry.substr(0, colon);
    const std::string_view value = entry.substr(colon + 1);
    WhitelistEntry e;
    if (kind == "domain") {
      e.kind = WhitelistEntry::Kind::kDomain;
      ASSIGN_OR_RETURN(e.value, Domain(cursor, value));
    } else if (kind == "domain-tree") {
      e.kind = WhitelistEntry::Kind::kDomainTree;
      Result<Target> tree = NormalizeTarget(TargetKind::kDomainTree, value);
      if (!tree.ok()) return cursor.Error("not a domain-tree: " + ModelProblem(tree.status()));
      e.value = std::move(tree->value);
    } else if (kind == "cidr") {
      e.kind = WhitelistEntry::Kind::kCidr;
      Result<std::string> cidr = NormalizeCidr(value);
      if (!cidr.ok()) return cursor.Error("not a CIDR: " + ModelProblem(cidr.status()));
      e.value = std::move(*cidr);
    } else if (kind == "ip") {
      e.kind = WhitelistEntry::Kind::kIp;
      Result<std::string> ip = NormalizeIp(value);
      if (!ip.ok()) return cursor.Error("not an address: " + ModelProblem(ip.status()));
      e.value = std::move(*ip);
    } else if (kind == "asn") {
      e.kind = WhitelistEntry::Kind::kAsn;
      ASSIGN_OR_RETURN(const std::uint32_t asn, Asn(cursor, value));
      e.value = std::to_string(asn);
    } else {
      return cursor.Error("unknown kind " + Quote(kind) +
                          " (expected domain, domain-tree, cidr, ip or asn)");
    }
    if (note.empty()) {
      return cursor.Error("no note after " + Quote(entry) +
                          ": say what it is (\"domain:drive.google.com Google Drive\")");
    }
    e.note = std::string(note);
    entries.push_back(std::move(e));
  }
  return entries;
}

Result<std::vector<PrefixAsn>> ParsePrefixAsns(std::string_view text, std::string_view file_name) {
  std::vector<PrefixAsn> out;
  LineCursor cursor(text);
  cursor.set_file(file_name);
  std::vector<std::string_view> fields;
  std::string_view line;
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, cursor.Next(&line));
    if (!more) break;
    RETURN_IF_ERROR(SplitCsv(cursor, line, &fields));
    RETURN_IF_ERROR(FieldCount(cursor, fields, 2, "cidr,asn"));
    if (cursor.data_lines() == 1 && IsWord(fields[0])) continue;  // header
    PrefixAsn p;
    ASSIGN_OR_RETURN(p.cidr, CidrOrAddress(cursor, fields[0]));
    ASSIGN_OR_RETURN(p.asn, Asn(cursor, fields[1]));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<PopularSite>> ParsePopularSites(std::string_view text,
                                                   std::string_view file_name) {
  std::vector<PopularSite> sites;
  LineCursor cursor(text);
  cursor.set_file(file_name);
  std::vector<std::string_view> fields;
  std::string_view line;
  std::uint32_t ordinal = 0;  // the rank of a line without one
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, cursor.Next(&line));
    if (!more) break;
    PopularSite site;
    std::string_view domain = line;
    if (line.find(',') != std::string_view::npos) {
      RETURN_IF_ERROR(SplitCsv(cursor, line, &fields));
      RETURN_IF_ERROR(FieldCount(cursor, fields, 2, "rank,domain"));
      if (cursor.data_lines() == 1 && IsWord(fields[0])) continue;  // header
      const std::string_view rank = fields[0];
      std::uint64_t value = 0;
      if (AllDigits(rank) && rank.size() <= 10) {
        for (const char c : rank) value = value * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (value == 0 || value > 0xFFFFFFFFu) {
        return cursor.Error("rank " + Quote(rank) + " is not a number from 1 to 4294967295");
      }
      site.rank = static_cast<std::uint32_t>(value);
      domain = fields[1];
    } else {
      if (ordinal == 0xFFFFFFFFu) return cursor.Error("too many lines");
      site.rank = ++ordinal;
    }
    ASSIGN_OR_RETURN(site.domain, Domain(cursor, domain));
    sites.push_back(std::move(site));
  }
  // One entry per domain, its best rank; then in rank order.
  std::sort(sites.begin(), sites.end(), [](const auto& a, const auto& b) {
    return a.domain != b.domain ? a.domain < b.domain : a.rank < b.rank;
  });
  sites.erase(std::unique(sites.begin(), sites.end(),
                          [](const auto& a, const auto& b) { return a.domain == b.domain; }),
              sites.end());
  std::sort(sites.begin(), sites.end(), [](const auto& a, const auto& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.domain < b.domain;
  });
  return sites;
}

}  // namespace interdict::guard
