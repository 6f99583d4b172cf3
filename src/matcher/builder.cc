// SnapshotBuilder: rules in, one image out.

#include <algorithm>
#include <charconv>
#include <compare>
#include <cstring>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "matcher/fingerprint.h"
#include "matcher/image.h"
#include "matcher/snapshot.h"
#include "matcher/snapshot_format.h"

namespace interdict {

namespace {

using matcher::Namespace;

struct OrderIn {
  std::int64_t id;
  std::uint32_t reference_offset, reference_length, body_offset, body_length;
};

// A domain, domain-tree, app or search rule: its text lives in State::key_text.
struct KeyIn {
  std::uint32_t offset;
  std::uint32_t length;
  std::uint32_t order;
  TargetKind kind;
};

// A URL rule: origin ("scheme://host[:port]") and path share one stretch of url_text.
struct UrlIn {
  std::uint32_t offset;
  std::uint32_t origin_length;
  std::uint32_t length;  // origin + path, without a prefix rule's '*'
  std::uint32_t order;
  bool prefix;
};

struct IpIn {
  U128 first;
  U128 last;
  std::uint8_t prefix;  // in the IPv6 space
  TargetKind kind;
  bool v4;
  std::uint32_t order;
};

Namespace NamespaceOf(TargetKind kind) {
  switch (kind) {
    case TargetKind::kApp: return matcher::kNsApp;
    case TargetKind::kSearch: return matcher::kNsSearch;
    default: return matcher::kNsName;
  }
}

Status CheckCanonicalName(std::string_view name) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("\"" + std::string(name) +
                                   "\" is not a canonical domain: " + why);
  };
  if (name.empty() || name.size() > 253) return bad("its length is not 1 to 253");
  if (name.front() == '.' || name.back() == '.') return bad("it starts or ends with a dot");
  char prev = 0;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || u <= 0x20) return bad("it has a byte outside printable ASCII");
    if (c >= 'A' && c <= 'Z') return bad("it has an upper-case letter");
    if (c == '.' && prev == '.') return bad("it has an empty label");
    prev = c;
  }
  return Status::Ok();
}

Status ParseIpRule(TargetKind kind, std::string_view value, IpIn* out) {
  std::string_view address = value;
  int length = -1;
  if (kind == TargetKind::kCidr) {
    const std::size_t slash = value.find('/');
    if (slash == std::string_view::npos) {
      return Status::InvalidArgument("\"" + std::string(value) + "\" is not a CIDR");
    }
    address = value.substr(0, slash);
    const std::string_view digits = value.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc() || end != digits.data() + digits.size() || length < 0) {
      return Status::InvalidArgument("\"" + std::string(value) + "\" has a bad prefix length");
    }
  }
  std::uint8_t b[16];
  bool v4 = false;
  if (!ParseAddress(address, b, &v4)) {
    return Status::InvalidArgument("\"" + std::string(value) + "\" is not an address");
  }
  const int bits = v4 ? 32 : 128;
  if (length < 0) length = bits;
  if (length > bits) {
    return Status::InvalidArgument("\"" + std::string(value) + "\": prefix > " +
                                   std::to_string(bits));
  }
  if (v4) length += 96;
  // An IPv4-mapped address or network is IPv4 (NormalizeIp writes it so already).
  out->v4 = v4 || (length >= 96 && IsV4Mapped(b));
  const U128 addr = ToU128(b);
  const U128 host_mask =
      length == 0 ? ~static_cast<U128>(0) : (static_cast<U128>(1) << (128 - length)) - 1;
  if (length < 128 && (addr & host_mask) != 0) {
    return Status::InvalidArgument("\"" + std::string(value) + "\" has host bits set");
  }
  out->first = addr;
  out->last = length == 128 ? addr : addr | host_mask;
  out->prefix = static_cast<std::uint8_t>(length);
  out->kind = kind;
  return Status::Ok();
}

// Interns sets of order indexes as answers.
class AnswerTable {
 public:
  explicit AnswerTable(std::size_t orders) : single_(orders, fmt::kNone) {}

  // `orders` sorted and unique.
  std::uint32_t Intern(std::span<const std::uint32_t> orders) {
    if (orders.size() == 1) {
      std::uint32_t& a = single_[orders[0]];
      if (a == fmt::kNone) a = Append(orders);
      return a;
    }
    std::string key(reinterpret_cast<const char*>(orders.data()), orders.size_bytes());
    auto [it, fresh] = multi_.try_emplace(std::move(key), 0);
    if (fresh) it->second = Append(orders);
    return it->second;
  }
  std::size_t size() const { return offsets_.size() - 1; }
  const std::vector<std::uint32_t>& offsets() const { return offsets_; }
  const std::vector<std::uint32_t>& orders() const { return orders_; }

 private:
  std::uint32_t Append(std::span<const std::uint32_t> orders) {
    orders_.insert(orders_.end(), orders.begin(), orders.end());
    offsets_.push_back(static_cast<std::uint32_t>(orders_.size()));
    return static_cast<std::uint32_t>(offsets_.size() - 2);
  }

  std::vector<std::uint32_t> single_;
  std::unordered_map<std::string, std::uint32_t> multi_;
  std::vector<std::uint32_t> offsets_{0};
  std::vector<std::uint32_t> orders_;
};

// Sorts and dedups a run of order indexes in place.
std::span<const std::uint32_t> Unique(std::vector<std::uint32_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
  return *v;
}

// The rules added so far, in compact form.
struct Inputs {
  std::vector<OrderIn> orders;
  std::string order_text;
  std::vector<KeyIn> keys;
  std::string key_text;
  std::vector<UrlIn> urls;
  std::string url_text;
  std::vector<IpIn> ips;
};

struct TableKey {
  std::uint64_t fp;
  std::uint32_t value;
};

template <typename T>
std::string_view AsBytes(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

}  // namespace

struct SnapshotBuilder::State {
  SnapshotBuildOptions options;
  Inputs in;
};

SnapshotBuilder::SnapshotBuilder(SnapshotBuildOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
}
SnapshotBuilder::~SnapshotBuilder() = default;

std::uint32_t SnapshotBuilder::AddOrder(std::int64_t id, std::string_view reference,
                                        std::string_view body) {
  Inputs& s = state_->in;
  OrderIn o{id, static_cast<std::uint32_t>(s.order_text.size()),
            static_cast<std::uint32_t>(reference.size()), 0, 0};
  s.order_text.append(reference);
  o.body_offset = static_cast<std::uint32_t>(s.order_text.size());
  o.body_length = static_cast<std::uint32_t>(body.size());
  s.order_text.append(body);
  s.orders.push_back(o);
  return static_cast<std::uint32_t>(s.orders.size() - 1);
}

std::size_t SnapshotBuilder::pending_rules() const {
  const Inputs& s = state_->in;
  return s.keys.size() + s.urls.size() + s.ips.size();
}

Status SnapshotBuilder::AddRule(TargetKind kind, std::string_view value, std::uint32_t order) {
  Inputs& s = state_->in;
  if (order >= s.orders.size()) {
    return Status::InvalidArgument("rule " + std::string(value) + " names order index " +
                                   std::to_string(order) + ", which was not added");
  }
  if (value.size() > 0xffffU) {
    return Status::InvalidArgument("rule value longer than 65535 bytes");
  }
  switch (kind) {
    case TargetKind::kDomain:
    case TargetKind::kDomainTree: RETURN_IF_ERROR(CheckCanonicalName(value)); [[fallthrough]];
    case TargetKind::kApp:
    case TargetKind::kSearch: {
      if (value.empty()) return Status::InvalidArgument("empty rule value");
      s.keys.push_back({static_cast<std::uint32_t>(s.key_text.size()),
                        static_cast<std::uint32_t>(value.size()), order, kind});
      s.key_text.append(value);
      return Status::Ok();
    }
    case TargetKind::kUrl: {
      const bool prefix = value.back() == '*';
      const std::string_view body = prefix ? value.substr(0, value.size() - 1) : value;
      const UrlParts parts = SplitCanonicalUrl(body);
      if (!parts.valid) {
        return Status::InvalidArgument("\"" + std::string(value) +
                                       "\" is not a canonical URL (scheme://host/path)");
      }
      s.urls.push_back({static_cast<std::uint32_t>(s.url_text.size()),
                        static_cast<std::uint32_t>(parts.origin.size()),
                        static_cast<std::uint32_t>(body.size()), order, prefix});
      s.url_text.append(body);
      return Status::Ok();
    }
    case TargetKind::kIp:
    case TargetKind::kCidr: {
      IpIn ip{};
      RETURN_IF_ERROR(ParseIpRule(kind, value, &ip));
      ip.order = order;
      s.ips.push_back(ip);
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("unknown target kind");
}

namespace {

// Everything a build produces, before it is laid out as an image.
struct Compiled {
  std::uint64_t seed = 0;
  std::uint32_t min_labels = 0;
  std::uint32_t max_labels = 0;
  std::uint64_t rules = 0;
  std::vector<fmt::Bucket> table;
  std::vector<std::uint32_t> filter;
  std::vector<fmt::Extra> extras;
  std::vector<fmt::UrlRule> url_rules;
  std::string strings;
  std::vector<U128> ip_starts;
  std::vector<std::uint32_t> ip_sets;
  std::vector<std::uint32_t> ip_set_offsets{0};
  std::vector<std::uint32_t> ip_set_rules;
  std::vector<fmt::IpRule> ip_rules;
  std::vector<fmt::OrderRecord> orders;
};

// The name, app and search keys, and the URL origins, as (fingerprint, value) pairs. Returns
// false when two different keys share a fingerprint under this seed.
bool CompileKeys(const Inputs& s, const HashKeys& hk, AnswerTable* answers, Compiled* c,
                 std::vector<TableKey>* out) {
  struct Fp {
    std::uint64_t fp;
    std::uint32_t index;  // into s.keys
  };
  std::vector<Fp> fps(s.keys.size());
  for (std::size_t i = 0; i < s.keys.size(); ++i) {
    const KeyIn& k = s.keys[i];
    const std::string_view text(s.key_text.data() + k.offset, k.length);
    const Namespace ns = NamespaceOf(k.kind);
    if (ns == matcher::kNsName) {
      const auto labels = static_cast<std::uint32_t>(std::count(text.begin(), text.end(), '.') + 1);
      c->min_labels = c->min_labels == 0 ? labels : std::min(c->min_labels, labels);
      c->max_labels = std::max(c->max_labels, labels);
    }
    fps[i] = {ns == matcher::kNsName ? matcher::NameFingerprint(hk, text.data(), text.size())
                                     : matcher::StringFingerprint(hk, ns, text.data(), text.size()),
              static_cast<std::uint32_t>(i)};
  }
  std::sort(fps.begin(), fps.end(), [](const Fp& a, const Fp& b) { return a.fp < b.fp; });
  std::vector<std::uint32_t> exact;
  std::vector<std::uint32_t> tree;
  for (std::size_t i = 0; i < fps.size();) {
    const KeyIn& first = s.keys[fps[i].index];
    const std::string_view text(s.key_text.data() + first.offset, first.length);
    exact.clear();
    tree.clear();
    std::size_t j = i;
    for (; j < fps.size() && fps[j].fp == fps[i].fp; ++j) {
      const KeyIn& k = s.keys[fps[j].index];
      if (NamespaceOf(k.kind) != NamespaceOf(first.kind) ||
          std::string_view(s.key_text.data() + k.offset, k.length) != text) {
        return false;  // a fingerprint collision between two rules
      }
      (k.kind == TargetKind::kDomainTree ? tree : exact).push_back(k.order);
    }
    std::uint32_t value = 0;
    if (!exact.empty() && !tree.empty()) {
      value = (fmt::kExtraIndex << fmt::kValueShift) | static_cast<std::uint32_t>(c->extras.size());
      c->extras.push_back({answers->Intern(Unique(&exact)), answers->Intern(Unique(&tree)), 0, 0});
      c->rules += 2;
    } else if (!tree.empty()) {
      value = (fmt::kTreeAnswer << fmt::kValueShift) | answers->Intern(Unique(&tree));
      c->rules += 1;
    } else {
      value = (fmt::kExactAnswer << fmt::kValueShift) | answers->Intern(Unique(&exact));
      c->rules += 1;
    }
    out->push_back({fps[i].fp, value});
    i = j;
  }

  // URL rules, grouped by origin and sorted by path; each origin is a key with an extra.
  std::vector<std::uint32_t> order(s.urls.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  auto origin = [&](const UrlIn& u) {
    return std::string_view(s.url_text.data() + u.offset, u.origin_length);
  };
  auto path = [&](const UrlIn& u) {
    return std::string_view(s.url_text.data() + u.offset + u.origin_length,
                            u.length - u.origin_length);
  };
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const UrlIn& x = s.urls[a];
    const UrlIn& y = s.urls[b];
    if (const auto cmp = origin(x) <=> origin(y); std::is_neq(cmp)) return std::is_lt(cmp);
    if (const auto cmp = path(x) <=> path(y); std::is_neq(cmp)) return std::is_lt(cmp);
    return x.prefix < y.prefix;
  });
  for (std::size_t i = 0; i < order.size();) {
    const UrlIn& head = s.urls[order[i]];
    const auto begin = static_cast<std::uint32_t>(c->url_rules.size());
    std::size_t j = i;
    while (j < order.size() && origin(s.urls[order[j]]) == origin(head)) {
      const UrlIn& u = s.urls[order[j]];
      exact.clear();
      std::size_t k = j;
      for (; k < order.size(); ++k) {
        const UrlIn& v = s.urls[order[k]];
        if (origin(v) != origin(u) || path(v) != path(u) || v.prefix != u.prefix) break;
        exact.push_back(v.order);
      }
      const std::string_view p = path(u);
      c->url_rules.push_back({static_cast<std::uint32_t>(c->strings.size()),
                              static_cast<std::uint32_t>(p.size()), answers->Intern(Unique(&exact)),
                              u.prefix ? fmt::kUrlPrefix : 0U});
      c->strings.append(p);
      c->rules += 1;
      j = k;
    }
    const std::string_view o = origin(head);
    const std::uint32_t value =
        (fmt::kExtraIndex << fmt::kValueShift) | static_cast<std::uint32_t>(c->extras.size());
    c->extras.push_back(
        {fmt::kNone, fmt::kNone, begin, static_cast<std::uint32_t>(c->url_rules.size()) - begin});
    out->push_back(
        {matcher::StringFingerprint(hk, matcher::kNsUrlOrigin, o.data(), o.size()), value});
    i = j;
  }
  // An origin whose fingerprint equals a name's is a collision too.
  std::sort(out->begin(), out->end(),
            [](const TableKey& a, const TableKey& b) { return a.fp < b.fp; });
  for (std::size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i].fp == (*out)[i - 1].fp) return false;
  }
  return true;
}

void FillTable(const std::vector<TableKey>& keys, double max_load, Compiled* c) {
  std::size_t buckets =
      static_cast<std::size_t>(static_cast<double>(keys.size()) / max_load / fmt::kBucketSlots) + 1;
  buckets = std::max<std::size_t>(buckets, keys.size() / fmt::kBucketSlots + 1);
  c->table.assign(buckets, fmt::Bucket{});
  for (const TableKey& k : keys) {
    auto b = static_cast<std::uint64_t>((static_cast<U128>(k.fp >> 32) * buckets) >> 32);
    for (;;) {
      fmt::Bucket& bucket = c->table[b];
      unsigned j = 0;
      while (j < fmt::kBucketSlots && bucket.fp[j] != 0) ++j;
      if (j < fmt::kBucketSlots) {
        bucket.fp[j] = k.fp;
        bucket.value[j] = k.value;
        break;
      }
      // Full: the key moves on, and this bucket remembers that one did.
      if (bucket.overflow < 255) ++bucket.overflow;
      if (++b == buckets) b = 0;
    }
  }
}

void FillFilter(const std::vector<TableKey>& keys, Compiled* c) {
  const std::size_t blocks = std::max<std::size_t>(
      1, (keys.size() * fmt::kFilterBitsPerKey + std::size_t{32} * fmt::kFilterBlockWords - 1) /
             (std::size_t{32} * fmt::kFilterBlockWords));
  c->filter.assign(blocks * fmt::kFilterBlockWords, 0);
  for (const TableKey& k : keys) {
    std::uint32_t* block =
        c->filter.data() +
        static_cast<std::uint64_t>((static_cast<U128>(k.fp & 0xffffffffULL) * blocks) >> 32) *
            fmt::kFilterBlockWords;
    const auto key = static_cast<std::uint32_t>(k.fp >> 32);
    for (std::uint32_t i = 0; i < fmt::kFilterBlockWords; ++i) {
      block[i] |= 1U << fmt::FilterBit(key, i);
    }
  }
}

// Address intervals: CIDRs are nested or disjoint, so a sweep with a stack of open rules gives
// every interval the rules covering it, innermost (longest prefix) on top.
void CompileIps(const std::vector<IpIn>& ips, AnswerTable* answers, Compiled* c) {
  // One rule per (range, kind), with all its orders.
  std::vector<std::uint32_t> by(ips.size());
  for (std::uint32_t i = 0; i < by.size(); ++i) by[i] = i;
  std::sort(by.begin(), by.end(), [&](std::uint32_t a, std::uint32_t b) {
    const IpIn& x = ips[a];
    const IpIn& y = ips[b];
    if (x.first != y.first) return x.first < y.first;
    if (x.prefix != y.prefix) return x.prefix < y.prefix;  // outer first
    if (x.kind != y.kind) return x.kind > y.kind;          // an ip rule above a /32 or /128 on it
    return x.v4 < y.v4;
  });
  struct Rule {
    U128 first, last;
    std::uint32_t index;  // into c->ip_rules
  };
  std::vector<Rule> rules;
  std::vector<std::uint32_t> orders;
  for (std::size_t i = 0; i < by.size();) {
    const IpIn& r = ips[by[i]];
    orders.clear();
    std::size_t j = i;
    for (; j < by.size(); ++j) {
      const IpIn& x = ips[by[j]];
      if (x.first != r.first || x.prefix != r.prefix || x.kind != r.kind || x.v4 != r.v4) break;
      orders.push_back(x.order);
    }
    fmt::IpRule out{};
    out.high = static_cast<std::uint64_t>(r.first >> 64);
    out.low = static_cast<std::uint64_t>(r.first);
    out.prefix = r.prefix;
    out.kind = static_cast<std::uint8_t>(r.kind);
    out.v4 = r.v4 ? 1 : 0;
    out.answer = answers->Intern(Unique(&orders));
    rules.push_back({r.first, r.last, static_cast<std::uint32_t>(c->ip_rules.size())});
    c->ip_rules.push_back(out);
    c->rules += 1;
    i = j;
  }
  // Interval boundaries: each rule's first address and the address after its last.
  std::vector<U128> points;
  points.reserve(rules.size() * 2);
  for (const Rule& r : rules) {
    points.push_back(r.first);
    if (r.last != ~static_cast<U128>(0)) points.push_back(r.last + 1);
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  std::vector<const Rule*> open;
  std::unordered_map<std::string, std::uint32_t> sets;
  std::vector<std::uint32_t> members;
  std::size_t next = 0;
  for (const U128 p : points) {
    while (!open.empty() && open.back()->last < p) open.pop_back();
    while (next < rules.size() && rules[next].first == p) open.push_back(&rules[next++]);
    std::uint32_t set = fmt::kNone;
    if (!open.empty()) {
      members.clear();
      for (std::size_t k = open.size(); k-- > 0;) members.push_back(open[k]->index);  // inner first
      std::string key(reinterpret_cast<const char*>(members.data()),
                      members.size() * sizeof(std::uint32_t));
      auto [it, fresh] = sets.try_emplace(std::move(key), 0);
      if (fresh) {
        it->second = static_cast<std::uint32_t>(c->ip_set_offsets.size() - 1);
        c->ip_set_rules.insert(c->ip_set_rules.end(), members.begin(), members.end());
        c->ip_set_offsets.push_back(static_cast<std::uint32_t>(c->ip_set_rules.size()));
      }
      set = it->second;
    }
    c->ip_starts.push_back(p);
    c->ip_sets.push_back(set);
  }
}

std::uint64_t RandomSeed() {
  std::random_device rd;
  std::uint64_t seed = 0;
  while (seed == 0) seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return seed;
}

// Lays the compiled parts out as one image with a header and checksum.
AlignedBytes LayOut(std::uint64_t serial, std::string_view source, const Compiled& c,
                    const AnswerTable& answers, std::size_t* size) {
  std::string_view parts[fmt::kSectionCount];
  parts[fmt::kBuckets] = AsBytes(c.table);
  parts[fmt::kFilter] = AsBytes(c.filter);
  parts[fmt::kExtras] = AsBytes(c.extras);
  parts[fmt::kUrlRules] = AsBytes(c.url_rules);
  parts[fmt::kStrings] = c.strings;
  parts[fmt::kIpStarts] = AsBytes(c.ip_starts);
  parts[fmt::kIpSets] = AsBytes(c.ip_sets);
  parts[fmt::kIpSetOffsets] = AsBytes(c.ip_set_offsets);
  parts[fmt::kIpSetRules] = AsBytes(c.ip_set_rules);
  parts[fmt::kIpRules] = AsBytes(c.ip_rules);
  parts[fmt::kAnswerOffsets] = AsBytes(answers.offsets());
  parts[fmt::kAnswerOrders] = AsBytes(answers.orders());
  parts[fmt::kOrders] = AsBytes(c.orders);
  fmt::Header h{};
  std::memcpy(h.magic, fmt::kMagic, sizeof(h.magic));
  h.version = fmt::kVersion;
  h.header_size = sizeof(fmt::Header);
  std::uint64_t at = sizeof(fmt::Header);
  for (std::uint32_t s = 0; s < fmt::kSectionCount; ++s) {
    at = (at + fmt::kSectionAlign - 1) / fmt::kSectionAlign * fmt::kSectionAlign;
    h.sections[s] = {at, parts[s].size()};
    at += parts[s].size();
  }
  h.image_size = at;
  h.serial = serial;
  h.seed = c.seed;
  h.rule_count = c.rules;
  h.bucket_count = c.table.size();
  h.min_labels = c.min_labels;
  h.max_labels = c.max_labels;
  std::memcpy(h.source, source.data(), source.size());
  AlignedBytes image = AllocateImage(at);
  for (std::uint32_t s = 0; s < fmt::kSectionCount; ++s) {
    if (!parts[s].empty()) {
      std::memcpy(image.get() + h.sections[s].offset, parts[s].data(), parts[s].size());
    }
  }
  std::memcpy(image.get(), &h, sizeof(h));
  std::uint8_t sum[32];
  ImageChecksum(image.get(), at, sum);
  std::memcpy(image.get() + offsetof(fmt::Header, checksum), sum, sizeof(sum));
  *size = at;
  return image;
}

}  // namespace

Result<Snapshot> SnapshotBuilder::Build(std::uint64_t serial) {
  const SnapshotBuildOptions& options = state_->options;
  const Inputs& s = state_->in;
  if (!(options.max_load > 0.5 && options.max_load <= 0.95)) {
    return Status::InvalidArgument("max_load must be in (0.5, 0.95]");
  }
  if (options.source.size() > sizeof(fmt::Header::source)) {
    return Status::InvalidArgument("the snapshot source is longer than 32 bytes");
  }
  if (s.order_text.size() + s.url_text.size() > 0xffffffffULL) {
    return Status::InvalidArgument("too much text for one snapshot");
  }
  const bool fixed_seed = options.seed != 0;
  for (int attempt = 0;; ++attempt) {
    Compiled c;
    c.seed = fixed_seed ? options.seed : RandomSeed();
    const HashKeys hk = matcher::DeriveKeys(c.seed);
    AnswerTable answers(s.orders.size());
    c.strings = s.order_text;
    for (const OrderIn& o : s.orders) {
      c.orders.push_back(
          {o.id, o.reference_offset, o.reference_length, o.body_offset, o.body_length});
    }
    std::vector<TableKey> keys;
    if (!CompileKeys(s, hk, &answers, &c, &keys)) {
      if (fixed_seed || attempt >= 8) {
        return Status::FailedPrecondition(
            "two rules share a 64-bit fingerprint under seed " + std::to_string(c.seed) +
            (fixed_seed ? "; build with another seed" : " after 8 fresh seeds"));
      }
      continue;
    }
    FillTable(keys, options.max_load, &c);
    FillFilter(keys, &c);
    CompileIps(s.ips, &answers, &c);
    if (answers.size() >= fmt::kValueMask) {
      return Status::InvalidArgument("too many distinct order sets for one snapshot");
    }
    std::size_t size = 0;
    AlignedBytes image = LayOut(serial, options.source, c, answers, &size);
    auto owner = std::make_unique<SnapshotImage>();
    owner->Own(std::move(image), size);
    RETURN_IF_ERROR(owner->Attach(false));
    state_->in = Inputs{};
    return Snapshot(std::move(owner));
  }
}

}  // namespace interdict
