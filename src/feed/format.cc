#include "feed/format.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "feed/rpz.h"
#include "io/cp1251.h"

namespace interdict::feed {
namespace {

// ---------------------------------------------------------------------------------------------
// Names and identifiers in options

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// `name` as an absolute DNS name in lowercase with its final dot ("." when allow_root and the
// name is "."). Labels of letters, digits, '-' and '_', 1 to 63 octets, 255 octets in all.
Result<std::string> AbsoluteName(std::string_view name, std::string_view what, bool allow_root) {
  std::string out;
  out.reserve(name.size() + 1);
  for (const char c : name) out.push_back(Lower(c));
  if (out == ".") {
    if (allow_root) return out;
    return Status::InvalidArgument(std::string(what) + " cannot be the root");
  }
  if (!out.empty() && out.back() == '.') out.pop_back();
  if (out.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  std::size_t label = 0;
  for (std::size_t i = 0; i <= out.size(); ++i) {
    if (i == out.size() || out[i] == '.') {
      if (label == 0 || label > 63) {
        return Status::InvalidArgument(std::string(what) + " \"" + std::string(name) +
                                       "\" has an empty label or one longer than 63 octets");
      }
      label = 0;
      continue;
    }
    if (!IsNameChar(out[i])) {
      return Status::InvalidArgument(std::string(what) + " \"" + std::string(name) +
                                     "\": only letters, digits, '-' and '_' may form a label");
    }
    ++label;
  }
  if (out.size() + 2 > 255) {
    return Status::InvalidArgument(std::string(what) + " is longer than 255 octets");
  }
  return out + ".";
}

// An identifier of nftables, ipset or BIRD: a letter or '_' first, then letters, digits, '_'
// (and '-' where `dash`), at most `max` characters.
Status CheckIdentifier(std::string_view id, std::string_view what, bool dash, std::size_t max) {
  bool ok = !id.empty() && id.size() <= max;
  for (std::size_t i = 0; ok && i < id.size(); ++i) {
    const char c = id[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    ok = letter || (i > 0 && (digit || (dash && c == '-')));
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + " \"" + std::string(id) + "\" must be 1 to " +
                                 std::to_string(max) + " letters, digits or '_'" +
                                 (dash ? " or '-'" : "") + ", starting with a letter or '_'");
}

// ---------------------------------------------------------------------------------------------
// Networks (ip and cidr targets)

struct Net {
  int family = AF_INET;
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 0;

  int bits() const { return family == AF_INET ? 32 : 128; }
  friend bool operator==(const Net&, const Net&) = default;
  friend bool operator<(const Net& a, const Net& b) {
    return std::tie(a.family, a.bytes, a.prefix) < std::tie(b.family, b.bytes, b.prefix);
  }
};

std::optional<Net> ParseNet(const Target& t) {
  std::string addr = t.value;
  int prefix = -1;
  if (t.kind == TargetKind::kCidr) {
    const std::size_t slash = addr.find('/');
    if (slash == std::string::npos) return std::nullopt;
    prefix = 0;
    for (std::size_t i = slash + 1; i < addr.size(); ++i) {
      if (addr[i] < '0' || addr[i] > '9' || prefix > 128) return std::nullopt;
      prefix = prefix * 10 + (addr[i] - '0');
    }
    addr.resize(slash);
  } else if (t.kind != TargetKind::kIp) {
    return std::nullopt;
  }
  Net n;
  if (inet_pton(AF_INET, addr.c_str(), n.bytes.data()) == 1) {
    n.family = AF_INET;
  } else if (inet_pton(AF_INET6, addr.c_str(), n.bytes.data()) == 1) {
    n.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  n.prefix = prefix < 0 ? n.bits() : prefix;
  if (n.prefix > n.bits()) return std::nullopt;
  return n;
}

// "192.0.2.0/24"; one address without its length ("192.0.2.1") unless `always_length`.
std::string NetText(const Net& n, bool always_length) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (inet_ntop(n.family, n.bytes.data(), buf.data(), static_cast<socklen_t>(buf.size())) ==
      nullptr) {
    return {};
  }
  std::string s(buf.data());
  if (always_length || n.prefix != n.bits()) s += "/" + std::to_string(n.prefix);
  return s;
}

bool Contains(const Net& outer, const Net& inner) {
  if (outer.family != inner.family || outer.prefix > inner.prefix) return false;
  const int whole = outer.prefix / 8;
  if (!std::equal(outer.bytes.begin(), outer.bytes.begin() + whole, inner.bytes.begin())) {
    return false;
  }
  const int rest = outer.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  const auto i = static_cast<std::size_t>(whole);
  return (outer.bytes[i] & mask) == (inner.bytes[i] & mask);
}

// The networks of the ip and cidr entries, sorted (IPv4 first), without repeats: an ip and the
// cidr of its one address are one network.
template <typename Entries>
std::vector<Net> Networks(const Entries& entries) {
  std::vector<Net> nets;
  for (const FeedEntry& e : entries) {
    if (std::optional<Net> n = ParseNet(e.target)) nets.push_back(*n);
  }
  std::sort(nets.begin(), nets.end());
  nets.erase(std::unique(nets.begin(), nets.end()), nets.end());
  return nets;
}

// Leaves out every network inside another one (sorted input: a network comes after the one
// that holds it, and networks nest or are disjoint).
std::vector<Net> Outermost(const std::vector<Net>& sorted) {
  std::vector<Net> out;
  for (const Net& n : sorted) {
    if (!out.empty() && Contains(out.back(), n)) continue;
    out.push_back(n);
  }
  return out;
}

// hash:net cannot hold a /0: it becomes its two halves.
std::vector<Net> WithoutZeroLength(const std::vector<Net>& sorted) {
  std::vector<Net> out;
  for (const Net& n : sorted) {
    if (n.prefix != 0) {
      out.push_back(n);
      continue;
    }
    Net low = n;
    low.prefix = 1;
    Net high = low;
    high.bytes[0] = 0x80;
    out.push_back(low);
    out.push_back(high);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

template <typename T>
std::vector<T> Minus(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Views and deltas

// The view's entries at delta.from, rebuilt from the view at delta.to (order lists of entries
// that stayed are those at delta.to: no format here writes them for a delta).
Result<std::vector<FeedEntry>> EntriesAtFrom(const ViewSet& now, const ViewDelta& delta) {
  if (delta.view != now.view || delta.to != now.serial || delta.registry_id != now.registry_id ||
      delta.from > delta.to) {
    return Status::InvalidArgument(
        "the delta (" + std::string(ViewName(delta.view)) + ", " + std::to_string(delta.from) +
        " to " + std::to_string(delta.to) + ") does not end at the view (" +
        std::string(ViewName(now.view)) + " at serial " + std::to_string(now.serial) + ")");
  }
  std::set<Target> added;
  for (const FeedEntry& e : delta.added) {
    if (now.entry(e.target) == nullptr) {
      return Status::InvalidArgument("the delta adds " + e.target.ToString() +
                                     ", which is not in the view at serial " +
                                     std::to_string(now.serial));
    }
    added.insert(e.target);
  }
  std::vector<FeedEntry> out;
  out.reserve(now.entries.size() + delta.removed.size());
  for (const FeedEntry& e : now.entries) {
    if (!added.contains(e.target)) out.push_back(e);
  }
  for (const FeedEntry& e : delta.removed) {
    if (now.entry(e.target) != nullptr) {
      return Status::InvalidArgument("the delta removes " + e.target.ToString() +
                                     ", which is in the view at serial " +
                                     std::to_string(now.serial));
    }
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(),
            [](const FeedEntry& a, const FeedEntry& b) { return a.target < b.target; });
  return out;
}

std::vector<FeedEntry> Changed(const ViewDelta& delta) {
  std::vector<FeedEntry> all = delta.removed;
  all.insert(all.end(), delta.added.begin(), delta.added.end());
  return all;
}

// ---------------------------------------------------------------------------------------------
// Counting and the header

// What a document is about.
struct Doc {
  FeedFormat format = FeedFormat::kRpz;
  const std::string* registry_id = nullptr;
  View view = View::kIsp;
  bool delta = false;
  Serial from = 0;
  Serial to = 0;
};

std::string Plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Whether an rpz owner fits under the zone `zone` (absolute, with its final dot): the whole
// name may have 255 octets in wire form, that is 253 characters of text without the final dot.
bool OwnerFits(const std::string& owner, const std::string& zone) {
  return owner.size() + zone.size() <= 253;
}

bool ZiUrlExpressible(const std::string& url) {
  return url.find_first_of(";|") == std::string::npos;
}

// Counts what a document of `format` expresses of `entries`. `zone` is the rpz zone.
template <typename Entries>
FormatReport Tally(FeedFormat format, const Entries& entries, const std::string& zone) {
  FormatReport r;
  for (const FeedEntry& e : entries) {
    const TargetKind kind = e.target.kind;
    bool expressible = FormatExpresses(format, kind);
    if (expressible && format == FeedFormat::kRpz) {
      const std::vector<RpzTrigger> triggers = RpzTriggers(e.target);
      expressible = !triggers.empty();
      if (expressible) {
        std::size_t fit = 0;
        for (const RpzTrigger& t : triggers) fit += OwnerFits(t.owner, zone) ? 1U : 0U;
        if (fit < triggers.size()) ++r.too_long;
        if (fit == 0) {
          ++r.skipped;
          continue;
        }
      }
    }
    if (expressible && format == FeedFormat::kZiCsv && kind == TargetKind::kUrl) {
      expressible = ZiUrlExpressible(e.target.value);
    }
    if (!expressible) {
      ++r.skipped;
      ++r.skipped_by_kind[static_cast<std::size_t>(kind)];
      continue;
    }
    if (format == FeedFormat::kHosts && kind == TargetKind::kDomainTree) ++r.narrowed;
    ++r.written;
  }
  const std::string name(FeedFormatName(format));
  for (int k = 0; k < kTargetKindCount; ++k) {
    const std::size_t n = r.skipped_by_kind[static_cast<std::size_t>(k)];
    if (n == 0) continue;
    r.notes.push_back(Plural(n, std::string(TargetKindName(static_cast<TargetKind>(k))) + " target",
                             std::string(TargetKindName(static_cast<TargetKind>(k))) + " targets") +
                      " not expressible in " + name);
  }
  if (r.too_long > 0) {
    r.notes.push_back(Plural(r.too_long, "target has", "targets have") +
                      " a trigger name too long under the zone " + zone + " (left out)");
  }
  if (r.narrowed > 0) {
    r.notes.push_back(Plural(r.narrowed, "domain-tree target", "domain-tree targets") +
                      " written as the name only (a hosts file cannot block the names under a "
                      "name)");
  }
  return r;
}

// The header: comment lines starting with `c`.
void Header(std::ostream& out, std::string_view c, const Doc& d, const FormatReport& r,
            std::initializer_list<std::string_view> explain) {
  out << c << " interdict " << FeedFormatName(d.format) << " feed, "
      << (d.delta ? "delta" : "snapshot") << '\n';
  out << c << " registry: " << *d.registry_id << '\n';
  out << c << " view: " << ViewName(d.view) << '\n';
  if (d.delta) out << c << " from serial: " << d.from << '\n';
  out << c << " serial: " << d.to << '\n';
  out << c << " entries: " << r.written << " written, " << r.skipped << " left out\n";
  for (const std::string& note : r.notes) out << c << ' ' << note << '\n';
  for (const std::string_view line : explain) out << c << ' ' << line << '\n';
}

// ---------------------------------------------------------------------------------------------
// rpz

struct RpzNames {
  std::string zone;    // absolute
  std::string target;  // the CNAME target, absolute ("." for NXDOMAIN)
  std::string mname;
  std::string rname;
};

Result<RpzNames> MakeRpzNames(const FormatOptions& o) {
  RpzNames n;
  ASSIGN_OR_RETURN(n.zone, AbsoluteName(o.rpz_zone, "the rpz zone", false));
  if (o.notice_host.empty()) {
    n.target = ".";
  } else {
    ASSIGN_OR_RETURN(n.target, AbsoluteName(o.notice_host, "the notice host", false));
  }
  ASSIGN_OR_RETURN(n.mname, AbsoluteName(o.soa_mname, "the SOA mname", false));
  ASSIGN_OR_RETURN(n.rname, AbsoluteName(o.soa_rname, "the SOA rname", false));
  return n;
}

std::string SoaData(const RpzNames& n, const FormatOptions& o, Serial serial) {
  return n.mname + " " + n.rname + " " + std::to_string(static_cast<std::uint32_t>(serial)) + " " +
         std::to_string(o.soa_refresh) + " " + std::to_string(o.soa_retry) + " " +
         std::to_string(o.soa_expire) + " " + std::to_string(o.soa_minimum);
}

void WriteRpzZone(const ViewSet& view, const RpzNames& n, const FormatOptions& o,
                  std::ostream& out) {
  out << "$ORIGIN " << n.zone << '\n';
  out << "$TTL " << o.ttl << '\n';
  out << "@ SOA " << SoaData(n, o, view.serial) << '\n';
  out << "@ NS " << n.mname << '\n';
  for (const std::string& owner : RpzOwners(view)) {
    if (OwnerFits(owner, n.zone)) out << owner << " CNAME " << n.target << '\n';
  }
}

void WriteRpzUpdate(const ViewSet& now, const ViewDelta& delta, const RpzNames& n,
                    const FormatOptions& o, std::ostream& out) {
  const RpzOwnerDelta change = RpzDelta(now, delta);
  const std::size_t batch = std::max<std::size_t>(o.nsupdate_batch, 1);
  std::size_t in_message = 0;
  auto line = [&](const std::string& text) {
    if (in_message == batch) {
      out << "send\n";
      in_message = 0;
    }
    if (in_message == 0) out << "zone " << n.zone << '\n';
    out << text << '\n';
    ++in_message;
  };
  for (const std::string& owner : change.removed) {
    if (OwnerFits(owner, n.zone)) line("update delete " + owner + "." + n.zone + " CNAME");
  }
  for (const std::string& owner : change.added) {
    if (OwnerFits(owner, n.zone)) {
      line("update add " + owner + "." + n.zone + " " + std::to_string(o.ttl) + " CNAME " +
           n.target);
    }
  }
  line("update add " + n.zone + " " + std::to_string(o.ttl) + " SOA " + SoaData(n, o, delta.to));
  out << "send\n";
}

// ---------------------------------------------------------------------------------------------
// hosts, domains

// One line of a hosts or domains document, ordered by name, then exact before tree.
struct NameLine {
  std::string name;
  bool tree = false;  // domains: "*.name"
  friend bool operator==(const NameLine&, const NameLine&) = default;
  friend bool operator<(const NameLine& a, const NameLine& b) {
    return std::tie(a.name, a.tree) < std::tie(b.name, b.tree);
  }
};

template <typename Entries>
std::vector<NameLine> NameLines(FeedFormat format, const Entries& entries) {
  std::vector<NameLine> lines;
  for (const FeedEntry& e : entries) {
    const TargetKind k = e.target.kind;
    if (k != TargetKind::kDomain && k != TargetKind::kDomainTree) continue;
    lines.push_back(
        {e.target.value, format == FeedFormat::kDomains && k == TargetKind::kDomainTree});
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  return lines;
}

std::string NameLineText(FeedFormat format, const NameLine& l) {
  if (format == FeedFormat::kHosts) return "0.0.0.0 " + l.name;
  return l.tree ? "*." + l.name : l.name;
}

// ---------------------------------------------------------------------------------------------
// unbound

struct UnboundNames {
  std::vector<std::string> zones;  // domain-trees
  std::vector<std::string> datas;  // exact domains
};

template <typename Entries>
UnboundNames UnboundOf(const Entries& entries) {
  UnboundNames u;
  for (const FeedEntry& e : entries) {
    if (e.target.kind == TargetKind::kDomainTree) u.zones.push_back(e.target.value);
    if (e.target.kind == TargetKind::kDomain) u.datas.push_back(e.target.value);
  }
  for (std::vector<std::string>* v : {&u.zones, &u.datas}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return u;
}

bool AtOrUnder(const std::string& name, const std::string& zone) {
  return name == zone || (name.size() > zone.size() && name.ends_with(zone) &&
                          name[name.size() - zone.size() - 1] == '.');
}

// ---------------------------------------------------------------------------------------------
// csv, json

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string JsonString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string_view> ScopeNames(ScopeSet scope) {
  std::vector<std::string_view> names;
  for (const Scope s : {Scope::kIsp, Scope::kSearch, Scope::kAppstore, Scope::kVpn}) {
    if ((scope & Bit(s)) != 0) names.push_back(Name(s));
  }
  return names;
}

// The order columns of a CSV line.
std::string CsvOrder(Id id, const FeedOrder* o) {
  std::string s = std::to_string(id) + ",";
  if (o == nullptr) return s + ",,,,";
  return s + CsvField(o->body) + "," + CsvField(o->reference) + "," + FormatTime(o->issued_at) +
         "," + FormatTime(o->expires_at) + "," + CsvField(FormatScopes(o->scope));
}

// A view's orders are an OrderList, a delta's a map.
const FeedOrder* FindOrder(const OrderList& orders, Id id) {
  return orders.Find(id);
}
const FeedOrder* FindOrder(const std::map<Id, FeedOrder>& orders, Id id) {
  auto it = orders.find(id);
  return it == orders.end() ? nullptr : &it->second;
}
const FeedOrder& OrderOf(const FeedOrder& o) {
  return o;
}
const FeedOrder& OrderOf(const std::pair<const Id, FeedOrder>& o) {
  return o.second;
}

template <typename Entries, typename Orders>
void WriteCsvLines(const Entries& entries, const Orders& orders, std::string_view op,
                   std::ostream& out) {
  for (const FeedEntry& e : entries) {
    for (const Id id : e.orders) {
      if (!op.empty()) out << op << ',';
      out << TargetKindName(e.target.kind) << ',' << CsvField(e.target.value) << ','
          << CsvOrder(id, FindOrder(orders, id)) << '\n';
    }
  }
}

std::string JsonEntry(const FeedEntry& e) {
  std::string s = "{\"kind\":" + JsonString(TargetKindName(e.target.kind)) +
                  ",\"value\":" + JsonString(e.target.value) + ",\"orders\":[";
  for (std::size_t i = 0; i < e.orders.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(e.orders[i]);
  }
  return s + "]}";
}

std::string JsonOrder(const FeedOrder& o) {
  std::string s = "{\"id\":" + std::to_string(o.id) + ",\"body\":" + JsonString(o.body) +
                  ",\"reference\":" + JsonString(o.reference) +
                  ",\"issued\":" + JsonString(FormatTime(o.issued_at)) +
                  ",\"expires\":" + JsonString(FormatTime(o.expires_at)) + ",\"scope\":[";
  bool first = true;
  for (const std::string_view name : ScopeNames(o.scope)) {
    if (!first) s += ',';
    first = false;
    s += JsonString(name);
  }
  return s + "]}";
}

template <typename Entries>
void WriteJsonList(std::string_view key, const Entries& entries, std::ostream& out) {
  out << ",\n\"" << key << "\":[";
  bool first = true;
  for (const FeedEntry& e : entries) {
    out << (first ? "\n" : ",\n") << JsonEntry(e);
    first = false;
  }
  out << "]";
}

template <typename Orders>
void WriteJsonOrders(const Orders& orders, std::ostream& out) {
  out << ",\n\"orders\":[";
  bool first = true;
  for (const auto& o : orders) {
    out << (first ? "\n" : ",\n") << JsonOrder(OrderOf(o));
    first = false;
  }
  out << "]}\n";
}

// ---------------------------------------------------------------------------------------------
// zi-csv

Status WriteZiCsv(const ViewSet& view, UnixTime updated_at, std::ostream& out) {
  Cp1251Encoder enc;
  if (!enc.ok()) return Status::Internal("iconv has no cp1251 converter");
  std::map<Id, std::string> tail;  // ";body;reference;date" in cp1251
  for (const FeedOrder& o : view.orders) {
    const Id id = o.id;
    if (o.body.find_first_of(";\n") != std::string::npos ||
        o.reference.find_first_of(";\n") != std::string::npos) {
      return Status::InvalidArgument("order " + std::to_string(id) +
                                     ": body or reference holds ';' or a line break, which z-i "
                                     "cannot express");
    }
    Result<std::string> body = enc.Encode(o.body);
    Result<std::string> ref = enc.Encode(o.reference);
    if (!body.ok() || !ref.ok()) {
      return (body.ok() ? ref.status() : body.status())
          .Prefixed("order " + std::to_string(id) + " cannot be written as z-i");
    }
    tail[id] = ";" + *body + ";" + *ref + ";" + FormatDate(o.issued_at);
  }
  const std::string t = FormatTime(updated_at);
  out << "Updated: " << t.substr(0, 10) << ' ' << t.substr(11, 8) << " +0000\n";
  for (const FeedEntry& e : view.entries) {
    std::string columns;
    switch (e.target.kind) {
      case TargetKind::kIp:
      case TargetKind::kCidr: columns = e.target.value + ";;"; break;
      case TargetKind::kDomain: columns = ";" + e.target.value + ";"; break;
      case TargetKind::kDomainTree: columns = ";*." + e.target.value + ";"; break;
      case TargetKind::kUrl:
        if (!ZiUrlExpressible(e.target.value)) continue;
        columns = ";;" + e.target.value;
        break;
      case TargetKind::kApp:
      case TargetKind::kSearch: continue;
    }
    for (const Id id : e.orders) {
      auto it = tail.find(id);
      if (it == tail.end()) {
        return Status::Internal("order " + std::to_string(id) + " of " + e.target.ToString() +
                                " is missing from the view");
      }
      out << columns << it->second << '\n';
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// nft, ipset, bird

struct FirewallNames {
  std::string family;
  std::string table;
};

Result<FirewallNames> NftNames(const FormatOptions& o) {
  if (o.nft_family != "inet" && o.nft_family != "bridge") {
    return Status::InvalidArgument("nft family \"" + o.nft_family +
                                   "\": inet or bridge (families that match IPv4 and IPv6)");
  }
  RETURN_IF_ERROR(CheckIdentifier(o.nft_table, "the nft table", true, 64));
  return FirewallNames{o.nft_family, o.nft_table};
}

void WriteNftElements(std::string_view verb, const FirewallNames& n, std::string_view set,
                      const std::vector<Net>& nets, std::ostream& out) {
  if (nets.empty()) return;
  out << verb << " element " << n.family << ' ' << n.table << ' ' << set << " {";
  for (std::size_t i = 0; i < nets.size(); ++i) {
    out << (i == 0 ? "\n\t" : ",\n\t") << NetText(nets[i], false);
  }
  out << "\n}\n";
}

std::vector<Net> OfFamily(const std::vector<Net>& nets, int family) {
  std::vector<Net> out;
  std::copy_if(nets.begin(), nets.end(), std::back_inserter(out),
               [family](const Net& n) { return n.family == family; });
  return out;
}

void WriteNftScript(const std::vector<Net>& nets, const FirewallNames& n, bool rules,
                    std::ostream& out) {
  const std::string at = n.family + " " + n.table;
  out << "table " << at << " {\n"
      << "\tset v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n"
      << "\tset v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n";
  if (rules) {
    for (const std::string_view hook : {"forward", "output"}) {
      out << "\tchain " << hook << " {\n\t\ttype filter hook " << hook
          << " priority filter; policy accept;\n\t}\n";
    }
  }
  out << "}\n";
  if (rules) {
    for (const std::string_view hook : {"forward", "output"}) {
      out << "flush chain " << at << ' ' << hook << '\n';
    }
  }
  out << "flush set " << at << " v4\n"
      << "flush set " << at << " v6\n";
  if (rules) {
    for (const std::string_view hook : {"forward", "output"}) {
      out << "add rule " << at << ' ' << hook << " ip daddr @v4 counter drop\n"
          << "add rule " << at << ' ' << hook << " ip6 daddr @v6 counter drop\n";
    }
  }
  WriteNftElements("add", n, "v4", OfFamily(nets, AF_INET), out);
  WriteNftElements("add", n, "v6", OfFamily(nets, AF_INET6), out);
}

Status CheckIpset(const FormatOptions& o) {
  // ipset names have at most 31 characters; ours add "-v4-new".
  return CheckIdentifier(o.ipset_name, "the ipset name", true, 31 - 7);
}

// A set holds at most maxelem elements: a document that would overflow one is refused here
// rather than by `ipset restore` half-way.
Status CheckIpsetSize(const std::vector<Net>& nets, const FormatOptions& o) {
  for (const int family : {AF_INET, AF_INET6}) {
    const auto n = static_cast<std::size_t>(std::count_if(
        nets.begin(), nets.end(), [family](const Net& x) { return x.family == family; }));
    if (n > o.ipset_maxelem) {
      return Status::InvalidArgument(std::to_string(n) + " networks exceed the ipset maxelem of " +
                                     std::to_string(o.ipset_maxelem));
    }
  }
  return Status::Ok();
}

void WriteIpsetSnapshot(const std::vector<Net>& nets, const FormatOptions& o, std::ostream& out) {
  for (const int family : {AF_INET, AF_INET6}) {
    const std::string set = o.ipset_name + (family == AF_INET ? "-v4" : "-v6");
    const std::string fresh = set + "-new";
    const std::string create = std::string(" hash:net family ") +
                               (family == AF_INET ? "inet" : "inet6") + " maxelem " +
                               std::to_string(o.ipset_maxelem) + " -exist\n";
    out << "create " << set << create << "create " << fresh << create << "flush " << fresh << '\n';
    for (const Net& net : nets) {
      if (net.family == family) out << "add " << fresh << ' ' << NetText(net, false) << '\n';
    }
    out << "swap " << fresh << ' ' << set << '\n' << "destroy " << fresh << '\n';
  }
}

void WriteBird(const std::vector<Net>& nets, const FormatOptions& o, std::ostream& out) {
  for (const int family : {AF_INET, AF_INET6}) {
    const char* ip = family == AF_INET ? "ipv4" : "ipv6";
    out << "protocol static " << o.bird_protocol << (family == AF_INET ? "_v4" : "_v6") << " {\n\t"
        << ip << ";\n";
    for (const Net& net : nets) {
      if (net.family != family) continue;
      out << "\troute " << NetText(net, true)
          << " blackhole { bgp_community.add((65535, 666)); bgp_community.add((65535, 65281)); "
             "};\n";
    }
    out << "}\n";
  }
}

// ---------------------------------------------------------------------------------------------
// Options every format checks before writing anything.

Status CheckOptions(FeedFormat format, const FormatOptions& o) {
  switch (format) {
    case FeedFormat::kRpz: return MakeRpzNames(o).status();
    case FeedFormat::kNft: return NftNames(o).status();
    case FeedFormat::kIpset:
      if (o.ipset_maxelem == 0) return Status::InvalidArgument("ipset maxelem is 0");
      return CheckIpset(o);
    case FeedFormat::kBird:
      return CheckIdentifier(o.bird_protocol, "the BIRD protocol name", false, 60);
    default: return Status::Ok();
  }
}

const std::string& RpzZoneForTally(const FormatOptions& o, std::string* storage) {
  Result<std::string> zone = AbsoluteName(o.rpz_zone, "the rpz zone", false);
  *storage = zone.ok() ? *zone : std::string(".");
  return *storage;
}

// The document of `view` whole; `doc` says whether it stands for a delta (bird, zi-csv).
Result<FormatReport> WriteWhole(const ViewSet& view, FeedFormat format,
                                const FormatOptions& options, const Doc& doc, std::ostream& out) {
  RETURN_IF_ERROR(CheckOptions(format, options));
  std::string zone_storage;
  FormatReport report = Tally(format, view.entries, RpzZoneForTally(options, &zone_storage));
  switch (format) {
    case FeedFormat::kRpz: {
      ASSIGN_OR_RETURN(const RpzNames names, MakeRpzNames(options));
      Header(out, ";", doc, report,
             {names.target == "." ? "every trigger answers NXDOMAIN (CNAME .)"
                                  : "every trigger answers with a CNAME to the notice host"});
      WriteRpzZone(view, names, options, out);
      break;
    }
    case FeedFormat::kHosts:
    case FeedFormat::kDomains: {
      Header(out, "#", doc, report,
             {format == FeedFormat::kHosts
                  ? "one name per line, answered 0.0.0.0"
                  : "one name per line; \"*.name\" is the name and every name under it"});
      for (const NameLine& l : NameLines(format, view.entries)) {
        out << NameLineText(format, l) << '\n';
      }
      break;
    }
    case FeedFormat::kUnbound: {
      Header(out, "#", doc, report,
             {"a domain-tree is a local-zone answering NXDOMAIN for the name and all under it;",
              "an exact name is local-data alone (A 0.0.0.0, AAAA ::, other types NODATA), in",
              "a transparent zone: the names under it resolve as usual"});
      const UnboundNames u = UnboundOf(view.entries);
      out << "server:\n";
      for (const std::string& z : u.zones) out << "local-zone: \"" << z << ".\" always_nxdomain\n";
      for (const std::string& d : u.datas) {
        out << "local-data: \"" << d << ". A 0.0.0.0\"\n"
            << "local-data: \"" << d << ". AAAA ::\"\n";
      }
      break;
    }
    case FeedFormat::kNft: {
      ASSIGN_OR_RETURN(const FirewallNames names, NftNames(options));
      Header(out, "#", doc, report,
             {"apply with `nft -f FILE`: one transaction replaces the sets' contents at once;",
              "a network inside another one is left out (intervals may not overlap)"});
      WriteNftScript(Outermost(Networks(view.entries)), names, options.nft_drop_rules, out);
      break;
    }
    case FeedFormat::kIpset: {
      const std::vector<Net> nets = WithoutZeroLength(Networks(view.entries));
      RETURN_IF_ERROR(CheckIpsetSize(nets, options));
      Header(out, "#", doc, report,
             {"apply with `ipset restore < FILE`: each set is filled under a new name and",
              "swapped in; a /0 is written as its two halves (hash:net holds no /0)"});
      WriteIpsetSnapshot(nets, options, out);
      break;
    }
    case FeedFormat::kBird: {
      Header(out, "#", doc, report,
             {"BIRD 2: include from bird.conf and run `birdc configure`; blackhole routes",
              "tagged BLACKHOLE (65535:666, RFC 7999) and NO_EXPORT (65535:65281);",
              doc.delta ? "this delta is the whole file at its serial: BIRD reconfigures from files"
                        : "a delta is written whole too: BIRD reconfigures from files"});
      WriteBird(Networks(view.entries), options, out);
      break;
    }
    case FeedFormat::kCsv:
      out << "kind,value,order_id,body,reference,issued,expires,scope\n";
      WriteCsvLines(view.entries, view.orders, "", out);
      break;
    case FeedFormat::kJson:
      out << "{\"format\":\"interdict-feed\",\"version\":1,\"registry\":"
          << JsonString(view.registry_id) << ",\"view\":" << JsonString(ViewName(view.view))
          << ",\"serial\":" << view.serial;
      WriteJsonList("entries", view.entries, out);
      WriteJsonOrders(view.orders, out);
      break;
    case FeedFormat::kZiCsv: RETURN_IF_ERROR(WriteZiCsv(view, options.updated_at, out)); break;
  }
  if (!out) {
    return Status::IOError("cannot write the " + std::string(FeedFormatName(format)) + " document");
  }
  return report;
}

}  // namespace

std::string_view FeedFormatName(FeedFormat format) {
  switch (format) {
    case FeedFormat::kRpz: return "rpz";
    case FeedFormat::kHosts: return "hosts";
    case FeedFormat::kDomains: return "domains";
    case FeedFormat::kUnbound: return "unbound";
    case FeedFormat::kNft: return "nft";
    case FeedFormat::kIpset: return "ipset";
    case FeedFormat::kBird: return "bird";
    case FeedFormat::kCsv: return "csv";
    case FeedFormat::kJson: return "json";
    case FeedFormat::kZiCsv: return "zi-csv";
  }
  return "?";
}

Result<FeedFormat> ParseFeedFormat(std::string_view name) {
  std::string names;
  for (const FeedFormat f : kAllFeedFormats) {
    if (FeedFormatName(f) == name) return f;
    names += names.empty() ? "" : ", ";
    names += FeedFormatName(f);
  }
  return Status::InvalidArgument("unknown feed format \"" + std::string(name) + "\" (" + names +
                                 ")");
}

bool FormatExpresses(FeedFormat format, TargetKind kind) {
  const bool name = kind == TargetKind::kDomain || kind == TargetKind::kDomainTree;
  const bool net = kind == TargetKind::kIp || kind == TargetKind::kCidr;
  switch (format) {
    case FeedFormat::kRpz: return name || net;
    case FeedFormat::kHosts:
    case FeedFormat::kDomains:
    case FeedFormat::kUnbound: return name;
    case FeedFormat::kNft:
    case FeedFormat::kIpset:
    case FeedFormat::kBird: return net;
    case FeedFormat::kCsv:
    case FeedFormat::kJson: return true;
    case FeedFormat::kZiCsv: return name || net || kind == TargetKind::kUrl;
  }
  return false;
}

Result<FormatReport> WriteView(const ViewSet& view, FeedFormat format, const FormatOptions& options,
                               std::ostream& out) {
  const Doc doc{format, &view.registry_id, view.view, false, view.serial, view.serial};
  return WriteWhole(view, format, options, doc, out);
}

Result<FormatReport> WriteDelta(const ViewSet& now, const ViewDelta& delta, FeedFormat format,
                                const FormatOptions& options, std::ostream& out) {
  RETURN_IF_ERROR(CheckOptions(format, options));
  ASSIGN_OR_RETURN(const std::vector<FeedEntry> then, EntriesAtFrom(now, delta));
  // Formats whose delta is the whole document at delta.to.
  const Doc doc{format, &now.registry_id, now.view, true, delta.from, delta.to};
  if (format == FeedFormat::kBird || format == FeedFormat::kZiCsv) {
    return WriteWhole(now, format, options, doc, out);
  }
  std::string zone_storage;
  FormatReport report = Tally(format, Changed(delta), RpzZoneForTally(options, &zone_storage));
  switch (format) {
    case FeedFormat::kRpz: {
      ASSIGN_OR_RETURN(const RpzNames names, MakeRpzNames(options));
      Header(out, ";", doc, report,
             {"nsupdate input for the zone's primary: `nsupdate [-k KEY] FILE` (add a",
              "\"server\" line first to name it); the last message sets the SOA serial"});
      WriteRpzUpdate(now, delta, names, options, out);
      break;
    }
    case FeedFormat::kHosts:
    case FeedFormat::kDomains: {
      Header(out, "#", doc, report,
             {"\"-LINE\" removes a line of the document at the first serial, \"+LINE\" adds one"});
      const std::vector<NameLine> a = NameLines(format, then);
      const std::vector<NameLine> b = NameLines(format, now.entries);
      for (const NameLine& l : Minus(a, b)) out << '-' << NameLineText(format, l) << '\n';
      for (const NameLine& l : Minus(b, a)) out << '+' << NameLineText(format, l) << '\n';
      break;
    }
    case FeedFormat::kUnbound: {
      Header(out, "#", doc, report,
             {"unbound-control bulk commands, each line prefixed by its command; apply with",
              "  for c in local_zones_remove local_datas_remove local_zones local_datas; do",
              "    sed -n \"s/^$c //p\" FILE | unbound-control $c; done"});
      const UnboundNames a = UnboundOf(then);
      const UnboundNames b = UnboundOf(now.entries);
      const std::vector<std::string> zones_removed = Minus(a.zones, b.zones);
      std::vector<std::string> datas_added = Minus(b.datas, a.datas);
      // Removing a zone removes the local data inside it: exact names at or under a removed
      // domain-tree are added again (into their own transparent zones).
      for (const std::string& d : b.datas) {
        for (const std::string& z : zones_removed) {
          if (AtOrUnder(d, z)) {
            datas_added.push_back(d);
            break;
          }
        }
      }
      std::sort(datas_added.begin(), datas_added.end());
      datas_added.erase(std::unique(datas_added.begin(), datas_added.end()), datas_added.end());
      for (const std::string& z : zones_removed) out << "local_zones_remove " << z << ".\n";
      for (const std::string& d : Minus(a.datas, b.datas)) {
        out << "local_datas_remove " << d << ".\n";
      }
      for (const std::string& z : Minus(b.zones, a.zones)) {
        out << "local_zones " << z << ". always_nxdomain\n";
      }
      for (const std::string& d : datas_added) {
        out << "local_datas " << d << ". A 0.0.0.0\n"
            << "local_datas " << d << ". AAAA ::\n";
      }
      break;
    }
    case FeedFormat::kNft: {
      ASSIGN_OR_RETURN(const FirewallNames names, NftNames(options));
      Header(out, "#", doc, report,
             {"apply with `nft -f FILE` over the sets as at the first serial (one transaction)"});
      const std::vector<Net> a = Outermost(Networks(then));
      const std::vector<Net> b = Outermost(Networks(now.entries));
      const std::vector<Net> gone = Minus(a, b);
      const std::vector<Net> fresh = Minus(b, a);
      for (const int family : {AF_INET, AF_INET6}) {
        WriteNftElements("delete", names, family == AF_INET ? "v4" : "v6", OfFamily(gone, family),
                         out);
      }
      for (const int family : {AF_INET, AF_INET6}) {
        WriteNftElements("add", names, family == AF_INET ? "v4" : "v6", OfFamily(fresh, family),
                         out);
      }
      break;
    }
    case FeedFormat::kIpset: {
      const std::vector<Net> a = WithoutZeroLength(Networks(then));
      const std::vector<Net> b = WithoutZeroLength(Networks(now.entries));
      RETURN_IF_ERROR(CheckIpsetSize(b, options));
      Header(out, "#", doc, report, {"apply with `ipset restore < FILE`"});
      auto line = [&](std::string_view verb, const Net& net) {
        out << verb << ' ' << options.ipset_name << (net.family == AF_INET ? "-v4 " : "-v6 ")
            << NetText(net, false) << " -exist\n";
      };
      for (const Net& net : Minus(a, b)) line("del", net);
      for (const Net& net : Minus(b, a)) line("add", net);
      break;
    }
    case FeedFormat::kCsv:
      out << "op,kind,value,order_id,body,reference,issued,expires,scope\n";
      WriteCsvLines(delta.removed, delta.orders, "remove", out);
      WriteCsvLines(delta.added, delta.orders, "add", out);
      break;
    case FeedFormat::kJson:
      out << "{\"format\":\"interdict-feed-delta\",\"version\":1,\"registry\":"
          << JsonString(delta.registry_id) << ",\"view\":" << JsonString(ViewName(delta.view))
          << ",\"from\":" << delta.from << ",\"serial\":" << delta.to;
      WriteJsonList("removed", delta.removed, out);
      WriteJsonList("added", delta.added, out);
      WriteJsonOrders(delta.orders, out);
      break;
    case FeedFormat::kBird:
    case FeedFormat::kZiCsv: break;  // written whole above
  }
  if (!out) {
    return Status::IOError("cannot write the " + std::string(FeedFormatName(format)) + " delta");
  }
  return report;
}

Result<UnixTime> SerialTime(Registry& registry, Serial serial) {
  if (serial <= 0) return UnixTime{0};
  ASSIGN_OR_RETURN(std::vector<SerialInfo> list, registry.ListSerials(serial - 1, 1));
  if (list.empty() || list.front().serial != serial) {
    return Status::NotFound("serial " + std::to_string(serial) + " has not been allocated");
  }
  return list.front().at;
}

}  // namespace interdict::feed
