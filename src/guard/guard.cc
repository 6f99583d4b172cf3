// Guard: Build indexes the data sets; Assess runs each rule that applies to the target's kind.
//
// Indexes: per provider, its ranges as disjoint sorted intervals (a range inside another of the
// same provider is dropped); passive DNS as observations sorted by address, domains interned
// with their registrable domain; the whitelist's names in hash maps (exact and tree) plus a
// sorted list of reversed names for "what lies below this name"; its cidr/ip entries and the
// address segments of whitelisted ASNs (from the prefix table, flattened so that every address
// belongs to its most specific prefix) as interval indexes; popular sites likewise as a map and
// a reversed-name list.
#include "guard/guard.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "guard/data.h"
#include "guard/ip_index.h"
#include "guard/psl.h"
#include "model/target.h"

namespace interdict::guard {

using internal::IntervalIndex;
using internal::IntervalOf;
using internal::IpInterval;
using internal::IpKey;

namespace {

std::string Reversed(std::string_view s) {
  return {s.rbegin(), s.rend()};
}

// `name` and each of its ancestors, most specific first: "a.b.c", "b.c", "c".
std::vector<std::string_view> SelfAndAncestors(std::string_view name) {
  std::vector<std::string_view> out;
  while (!name.empty()) {
    out.push_back(name);
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return out;
}

// Names with a payload, sorted by their reversed spelling so that the names strictly below a
// name are one contiguous run.
template <typename T>
class NamesBelow {
 public:
  void Add(std::string_view name, T payload) {
    entries_.emplace_back(Reversed(name), std::move(payload));
  }
  void Finish() { std::sort(entries_.begin(), entries_.end()); }

  // Calls f(name, payload) for every name strictly below `name`.
  template <typename F>
  void ForEachBelow(std::string_view name, F&& f) const {
    const std::string prefix = Reversed(name) + ".";
    auto it = std::lower_bound(entries_.begin(), entries_.end(), prefix,
                               [](const auto& e, const std::string& p) { return e.first < p; });
    for (; it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      f(Reversed(it->first), it->second);
    }
  }

 private:
  std::vector<std::pair<std::string, T>> entries_;
};

// "a, b, c" from the first `max` items, then ", and N more" for the rest.
std::string JoinSamples(const std::vector<std::string>& items, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  if (items.size() > max) out += ", and " + std::to_string(items.size() - max) + " more";
  return out;
}

std::string Plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string DescribeWindow(std::int64_t seconds) {
  constexpr std::int64_t kDay = std::int64_t{24} * 3600;
  if (seconds > 0 && seconds % kDay == 0)
    return Plural(static_cast<std::size_t>(seconds / kDay), "day", "days");
  return Plural(static_cast<std::size_t>(std::max<std::int64_t>(seconds, 0)), "second", "seconds");
}

// "ip 104.16.1.1", "domain-tree github.io".
std::string Subject(const Target& t) {
  return std::string(TargetKindName(t.kind)) + " " + t.value;
}

// The interval of a canonical (or normalizable) address or CIDR.
Result<IpInterval> ParseInterval(std::string_view value, bool single_address) {
  std::optional<IpInterval> iv = IntervalOf(value);
  if (!iv) {
    Result<std::string> canonical = single_address ? NormalizeIp(value) : NormalizeCidr(value);
    if (!canonical.ok()) return canonical.status();
    iv = IntervalOf(*canonical);
    if (!iv) return Status::Internal("cannot read the canonical form " + *canonical);
  }
  if (single_address && iv->first != iv->last) {
    return Status::InvalidArgument("a network where an address was expected");
  }
  return *iv;
}

// The address intervals an ip or cidr target covers: its own, and for an IPv6 network over
// ::ffff:0:0/96 the IPv4 addresses it covers in mapped form.
std::vector<IpInterval> TargetIntervals(const Target& t) {
  std::vector<IpInterval> out;
  const std::optional<IpInterval> iv = IntervalOf(t.value);
  if (!iv) return out;
  out.push_back(*iv);
  if (const std::optional<IpInterval> v4 = internal::MappedV4Part(*iv)) out.push_back(*v4);
  return out;
}

std::string_view RelationWord(const IpInterval& target, const IpInterval& range) {
  if (target == range) return "is";
  if (internal::Contains(range, target)) return "is inside";
  if (internal::Contains(target, range)) return "contains";
  return "overlaps";
}

// The domains a request blocks, to leave out of the shared-address count.
class RequestNames {
 public:
  explicit RequestNames(std::span<const Target> targets) {
    for (const Target& t : targets) {
      switch (t.kind) {
        case TargetKind::kDomain: exact_.insert(t.value); break;
        case TargetKind::kDomainTree: trees_.insert(t.value); break;
        case TargetKind::kUrl: AddUrlHost(t.value); break;
        case TargetKind::kSearch:
          if (t.value.find("://") == std::string::npos) {
            exact_.insert(t.value);
          } else {
            AddUrlHost(t.value);
          }
          break;
        default: break;
      }
    }
  }

  bool Blocks(std::string_view domain) const {
    if (exact_.count(std::string(domain)) > 0) return true;
    if (trees_.empty()) return false;
    for (const std::string_view name : SelfAndAncestors(domain)) {
      if (trees_.count(std::string(name)) > 0) return true;
    }
    return false;
  }

 private:
  void AddUrlHost(std::string_view url) {
    const UrlParts parts = SplitCanonicalUrl(url);
    if (parts.valid) exact_.insert(std::string(parts.host));
  }

  std::unordered_set<std::string> exact_;
  std::unordered_set<std::string> trees_;
};

}  // namespace

std::string_view RuleName(Finding::Rule rule) {
  switch (rule) {
    case Finding::Rule::kPublicSuffix: return "public-suffix";
    case Finding::Rule::kCdnRange: return "cdn-range";
    case Finding::Rule::kSharedAddress: return "shared-address";
    case Finding::Rule::kWhitelist: return "whitelist";
    case Finding::Rule::kPopular: return "popular";
  }
  return "unknown";
}

std::string_view SeverityName(Finding::Severity severity) {
  switch (severity) {
    case Finding::Severity::kRefuse: return "refuse";
    case Finding::Severity::kFlag: return "flag";
  }
  return "unknown";
}

struct Guard::Impl {
  struct Provider {
    std::string name;
    IntervalIndex<std::string> ranges;  // payload: the canonical CIDR
  };
  struct Observation {
    IpKey ip;
    std::uint32_t domain = 0;  // index into pdns_domains
    UnixTime last_seen = 0;
  };
  struct AsnSegment {
    std::uint32_t entry = 0;   // the whitelist entry (an asn entry)
    std::uint32_t prefix = 0;  // index into prefixes: the most specific prefix of the segment
  };

  GuardOptions options;
  std::optional<PublicSuffixList> psl;  // always set once built

  std::vector<Provider> providers;

  std::vector<std::string> pdns_domains;
  std::vector<std::uint32_t> pdns_registrable;  // per domain: index into registrables
  std::vector<std::string> registrables;
  std::vector<Observation> observations;  // sorted by address

  std::vector<WhitelistEntry> whitelist;  // canonical values
  std::unordered_map<std::string, std::vector<std::uint32_t>> wl_domains;
  std::unordered_map<std::string, std::vector<std::uint32_t>> wl_trees;
  NamesBelow<std::uint32_t> wl_names;  // domain and domain-tree entries
  IntervalIndex<std::uint32_t> wl_ranges;
  std::vector<std::string> prefixes;
  IntervalIndex<AsnSegment> wl_asn;

  std::unordered_map<std::string, std::uint32_t> popular;  // domain -> rank
  NamesBelow<std::uint32_t> popular_names;

  Status BuildRanges(std::vector<RangeSet> sets);
  Status BuildPassiveDns(std::vector<PassiveDnsRecord> records);
  Status BuildWhitelist(std::vector<WhitelistEntry> entries, std::vector<PrefixAsn> prefix_asns);
  void BuildPopular(const std::vector<PopularSite>& sites);

  void AssessPublicSuffix(const Target& t, std::vector<Finding>* out) const;
  void AssessRanges(const Target& t, const std::vector<IpInterval>& ivs,
                    std::vector<Finding>* out) const;
  void AssessSharedAddress(const Target& t, const std::vector<IpInterval>& ivs,
                           std::span<const Target> same_request, UnixTime now,
                           std::vector<Finding>* out) const;
  void WhitelistName(const std::string& subject, std::string_view name, bool tree,
                     std::vector<Finding>* out) const;
  void WhitelistAddresses(const std::string& subject, const std::vector<IpInterval>& ivs,
                          std::vector<Finding>* out) const;
  void AssessWhitelist(const Target& t, const std::vector<IpInterval>& ivs,
                       std::vector<Finding>* out) const;
  void AssessPopular(const Target& t, std::vector<Finding>* out) const;

  std::string EntryText(std::uint32_t entry) const {
    const WhitelistEntry& e = whitelist[entry];
    const std::string value = e.kind == WhitelistEntry::Kind::kAsn ? "AS" + e.value : e.value;
    return std::string(WhitelistKindName(e.kind)) + " " + value + " (" + e.note + ")";
  }
  std::string EntryHit(std::uint32_t entry) const {
    const WhitelistEntry& e = whitelist[entry];
    return std::string(WhitelistKindName(e.kind)) + ":" + e.value;
  }
  Finding MakeFinding(Finding::Rule rule, std::string explanation,
                      std::vector<std::string> hits) const {
    Finding f;
    f.rule = rule;
    f.severity = rule == Finding::Rule::kPublicSuffix ? Finding::Severity::kRefuse
                                                      : Finding::Severity::kFlag;
    f.explanation = std::move(explanation);
    f.hits = std::move(hits);
    return f;
  }
};

// ---------------------------------------------------------------------------------------------
// Build

Status Guard::Impl::BuildRanges(std::vector<RangeSet> sets) {
  std::map<std::string, std::size_t> by_name;
  for (RangeSet& set : sets) {
    const std::string context = "ranges " + set.provider;
    if (set.provider.empty()) return Status::InvalidArgument("ranges: a set without a provider");
    auto [it, inserted] = by_name.emplace(set.provider, providers.size());
    if (inserted) providers.push_back(Provider{set.provider, {}});
    Provider& p = providers[it->second];
    for (std::size_t i = 0; i < set.cidrs.size(); ++i) {
      Result<IpInterval> iv = ParseInterval(set.cidrs[i], false);
      if (!iv.ok()) return iv.status().Prefixed(context + ": entry " + std::to_string(i + 1));
      p.ranges.Add(*iv, std::move(set.cidrs[i]));
    }
  }
  for (Provider& p : providers) p.ranges.Finish(/*drop_contained=*/true);
  return Status::Ok();
}

Status Guard::Impl::BuildPassiveDns(std::vector<PassiveDnsRecord> records) {
  std::unordered_map<std::string, std::uint32_t> domain_ids;
  std::unordered_map<std::string, std::uint32_t> registrable_ids;
  observations.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    PassiveDnsRecord& r = records[i];
    Result<IpInterval> ip = ParseInterval(r.ip, true);
    if (!ip.ok()) return ip.status().Prefixed("passive dns: entry " + std::to_string(i + 1));
    if (r.domain.empty()) {
      return Status::InvalidArgument("passive dns: entry " + std::to_string(i + 1) +
                                     ": the domain is empty");
    }
    auto [d, new_domain] =
        domain_ids.emplace(r.domain, static_cast<std::uint32_t>(pdns_domains.size()));
    if (new_domain) {
      std::string_view reg = psl->RegistrableDomain(r.domain);
      if (reg.empty()) reg = r.domain;  // a public suffix seen in DNS counts as itself
      auto [g, new_reg] = registrable_ids.emplace(std::string(reg),
                                                  static_cast<std::uint32_t>(registrables.size()));
      if (new_reg) registrables.emplace_back(reg);
      pdns_registrable.push_back(g->second);
      pdns_domains.push_back(std::move(r.domain));
    }
    observations.push_back(Observation{ip->first, d->second, r.last_seen});
  }
  std::sort(observations.begin(), observations.end(), [](const auto& a, const auto& b) {
    if (a.ip != b.ip) return a.ip < b.ip;
    if (a.domain != b.domain) return a.domain < b.domain;
    return a.last_seen > b.last_seen;
  });
  observations.erase(std::unique(observations.begin(), observations.end(),
                                 [](const auto& a, const auto& b) {
                                   return a.ip == b.ip && a.domain == b.domain;
                                 }),
                     observations.end());
  return Status::Ok();
}

Status Guard::Impl::BuildWhitelist(std::vector<WhitelistEntry> entries,
                                   std::vector<PrefixAsn> prefix_asns) {
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> asn_entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    WhitelistEntry& e = entries[i];
    const std::string context = "whitelist: entry " + std::to_string(i + 1);
    const auto index = static_cast<std::uint32_t>(whitelist.size());
    switch (e.kind) {
      case WhitelistEntry::Kind::kDomain: {
        Result<std::string> name = NormalizeDomain(e.value);
        if (!name.ok()) return name.status().Prefixed(context);
        e.value = std::move(*name);
        wl_domains[e.value].push_back(index);
        wl_names.Add(e.value, index);
        break;
      }
      case WhitelistEntry::Kind::kDomainTree: {
        Result<Target> tree = NormalizeTarget(TargetKind::kDomainTree, e.value);
        if (!tree.ok()) return tree.status().Prefixed(context);
        e.value = std::move(tree->value);
        wl_trees[e.value].push_back(index);
        wl_names.Add(e.value, index);
        break;
      }
      case WhitelistEntry::Kind::kCidr:
      case WhitelistEntry::Kind::kIp: {
        Result<IpInterval> iv = ParseInterval(e.value, e.kind == WhitelistEntry::Kind::kIp);
        if (!iv.ok()) return iv.status().Prefixed(context);
        wl_ranges.Add(*iv, index);
        break;
      }
      case WhitelistEntry::Kind::kAsn: {
        std::uint64_t asn = 0;
        const bool digits = !e.value.empty() && e.value.size() <= 10 &&
                            std::all_of(e.value.begin(), e.value.end(),
                                        [](char c) { return c >= '0' && c <= '9'; });
        if (digits) {
          for (const char c : e.value) asn = asn * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (!digits || asn == 0 || asn > 0xFFFFFFFFu) {
          return Status::InvalidArgument(context + ": not an AS number: " + e.value);
        }
        e.value = std::to_string(asn);
        asn_entries[static_cast<std::uint32_t>(asn)].push_back(index);
        break;
      }
    }
    whitelist.push_back(std::move(e));
  }
  wl_names.Finish();
  wl_ranges.Finish(/*drop_contained=*/false);

  // The address segments of whitelisted ASNs: flatten the whole prefix table (a more specific
  // prefix of another AS carves its addresses out), then keep the whitelisted segments. Of two
  // equal prefixes a whitelisted one wins (it comes later).
  struct Origin {
    std::uint32_t asn = 0;
    std::uint32_t prefix = 0;
  };
  std::vector<std::pair<IpInterval, Origin>> items;
  if (!asn_entries.empty()) {
    items.reserve(prefix_asns.size());
    for (std::size_t i = 0; i < prefix_asns.size(); ++i) {
      Result<IpInterval> iv = ParseInterval(prefix_asns[i].cidr, false);
      if (!iv.ok()) return iv.status().Prefixed("prefix table: entry " + std::to_string(i + 1));
      items.emplace_back(*iv, Origin{prefix_asns[i].asn, static_cast<std::uint32_t>(i)});
    }
    std::stable_partition(items.begin(), items.end(), [&](const auto& item) {
      return asn_entries.count(item.second.asn) == 0;
    });
  }
  std::unordered_map<std::uint32_t, std::uint32_t> prefix_index;  // table index -> prefixes
  for (const auto& [segment, origin] : internal::FlattenMostSpecific(std::move(items))) {
    const auto found = asn_entries.find(origin.asn);
    if (found == asn_entries.end()) continue;
    auto [p, inserted] =
        prefix_index.emplace(origin.prefix, static_cast<std::uint32_t>(prefixes.size()));
    if (inserted) prefixes.push_back(prefix_asns[origin.prefix].cidr);
    for (const std::uint32_t entry : found->second)
      wl_asn.Add(segment, AsnSegment{entry, p->second});
  }
  wl_asn.Finish(/*drop_contained=*/false);
  return Status::Ok();
}

void Guard::Impl::BuildPopular(const std::vector<PopularSite>& sites) {
  for (const PopularSite& s : sites) {
    if (s.rank == 0 || s.rank > options.popular_top || s.domain.empty()) continue;
    auto [it, inserted] = popular.emplace(s.domain, s.rank);
    if (!inserted) {
      it->second = std::min(it->second, s.rank);
      continue;
    }
    popular_names.Add(s.domain, s.rank);
  }
  popular_names.Finish();
}

Result<Guard> Guard::Build(GuardData data, GuardOptions options) {
  auto impl = std::make_shared<Impl>();
  impl->options = options;
  if (data.public_suffixes) {
    impl->psl = std::move(data.public_suffixes);
  } else {
    ASSIGN_OR_RETURN(PublicSuffixList psl, PublicSuffixList::System());
    impl->psl = std::move(psl);
  }
  RETURN_IF_ERROR(impl->BuildRanges(std::move(data.ranges)));
  RETURN_IF_ERROR(impl->BuildPassiveDns(std::move(data.passive_dns)));
  RETURN_IF_ERROR(impl->BuildWhitelist(std::move(data.whitelist), std::move(data.prefix_asns)));
  impl->BuildPopular(data.popular);
  return Guard(std::move(impl));
}

// ---------------------------------------------------------------------------------------------
// Rules

void Guard::Impl::AssessPublicSuffix(const Target& t, std::vector<Finding>* out) const {
  if (t.kind == TargetKind::kDomain) {
    if (psl->IsPublicSuffix(t.value)) {
      out->push_back(MakeFinding(
          Finding::Rule::kPublicSuffix,
          Subject(t) + " is the public suffix " + t.value +
              " itself, under which unrelated sites are registered; an order must name a site",
          {t.value}));
    }
    return;
  }
  if (psl->IsPublicSuffix(t.value)) {
    out->push_back(MakeFinding(
        Finding::Rule::kPublicSuffix,
        Subject(t) + " would block every site under the public suffix " + t.value, {t.value}));
    return;
  }
  std::size_t total = 0;
  std::vector<std::string> below = psl->SuffixesBelow(t.value, options.max_samples, &total);
  if (total == 0) return;
  std::string text = Subject(t) + " would block every site under ";
  if (total == 1) {
    text += "the public suffix " + below[0];
  } else {
    text +=
        "the " + std::to_string(total) + " public suffixes below it (" +
        JoinSamples(below, options.max_samples) +
        (total > below.size() ? ", and " + std::to_string(total - below.size()) + " more" : "") +
        ")";
  }
  out->push_back(MakeFinding(Finding::Rule::kPublicSuffix, std::move(text), std::move(below)));
}

void Guard::Impl::AssessRanges(const Target& t, const std::vector<IpInterval>& ivs,
                               std::vector<Finding>* out) const {
  using Entry = IntervalIndex<std::string>::Entry;
  for (const Provider& p : providers) {
    std::vector<std::pair<IpInterval, const Entry*>> hits;  // (the target part, the range)
    for (const IpInterval& iv : ivs) {
      p.ranges.ForEachOverlap(iv, [&](const Entry& e) { hits.emplace_back(iv, &e); });
    }
    if (hits.empty()) continue;
    std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
      return a.second->interval.first < b.second->interval.first;
    });
    // One range holding the whole target says it best; otherwise list what the target contains.
    const auto holder = std::find_if(hits.begin(), hits.end(), [](const auto& h) {
      return internal::Contains(h.second->interval, h.first);
    });
    std::string text;
    std::vector<std::string> names;
    if (holder != hits.end()) {
      text = Subject(t) + " " + std::string(RelationWord(holder->first, holder->second->interval)) +
             " " + p.name + " range " + holder->second->payload;
      names.push_back(p.name + " " + holder->second->payload);
    } else {
      std::vector<std::string> cidrs;
      cidrs.reserve(hits.size());
      for (const auto& h : hits) cidrs.push_back(h.second->payload);
      text = Subject(t) + " contains " +
             Plural(hits.size(), p.name + " range", p.name + " ranges") + " (" +
             JoinSamples(cidrs, options.max_samples) + ")";
      for (std::size_t i = 0; i < cidrs.size() && i < options.max_samples; ++i) {
        names.push_back(p.name + " " + cidrs[i]);
      }
    }
    text += ": addresses shared by the sites " + p.name +
            " serves; blocking them would block those sites too";
    out->push_back(MakeFinding(Finding::Rule::kCdnRange, std::move(text), std::move(names)));
  }
}

void Guard::Impl::AssessSharedAddress(const Target& t, const std::vector<IpInterval>& ivs,
                                      std::span<const Target> same_request, UnixTime now,
                                      std::vector<Finding>* out) const {
  if (observations.empty()) return;
  const RequestNames request(same_request);
  const UnixTime since = now - options.shared_address_window_seconds;
  std::unordered_map<std::uint32_t, bool> blocked;   // domain -> blocked by the request
  std::unordered_map<std::uint32_t, UnixTime> seen;  // registrable -> latest last-seen
  for (const IpInterval& iv : ivs) {
    auto it = std::lower_bound(observations.begin(), observations.end(), iv.first,
                               [](const Observation& o, const IpKey& k) { return o.ip < k; });
    for (; it != observations.end() && it->ip <= iv.last; ++it) {
      if (it->last_seen < since) continue;
      auto [b, fresh] = blocked.emplace(it->domain, false);
      if (fresh) b->second = request.Blocks(pdns_domains[it->domain]);
      if (b->second) continue;
      UnixTime& latest = seen[pdns_registrable[it->domain]];
      latest = std::max(latest, it->last_seen);
    }
  }
  if (seen.size() <= options.shared_address_threshold) return;
  std::vector<std::pair<std::uint32_t, UnixTime>> order(seen.begin(), seen.end());
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;  // most recently seen first
    return registrables[a.first] < registrables[b.first];
  });
  std::vector<std::string> samples;
  for (std::size_t i = 0; i < order.size() && i < options.max_samples; ++i) {
    samples.push_back(registrables[order[i].first]);
  }
  std::string text =
      Subject(t) + " served " + Plural(order.size(), "registrable domain", "registrable domains") +
      " besides this request's targets in the last " +
      DescribeWindow(options.shared_address_window_seconds) + " (passive DNS; more than " +
      std::to_string(options.shared_address_threshold) +
      " is shared hosting): " + JoinSamples(samples, options.max_samples);
  if (order.size() > samples.size()) {
    text += ", and " + std::to_string(order.size() - samples.size()) + " more";
  }
  text += "; blocking it would block them too";
  out->push_back(MakeFinding(Finding::Rule::kSharedAddress, std::move(text), std::move(samples)));
}

void Guard::Impl::WhitelistName(const std::string& subject, std::string_view name, bool tree,
                                std::vector<Finding>* out) const {
  // Trees holding the name (or equal to it).
  for (const std::string_view ancestor : SelfAndAncestors(name)) {
    const auto found = wl_trees.find(std::string(ancestor));
    if (found == wl_trees.end()) continue;
    for (const std::uint32_t entry : found->second) {
      const std::string_view relation =
          ancestor == name ? " is whitelisted " : " is inside whitelisted ";
      out->push_back(MakeFinding(Finding::Rule::kWhitelist,
                                 subject + std::string(relation) + EntryText(entry),
                                 {EntryHit(entry)}));
    }
  }
  // The name itself, as a whitelisted domain.
  if (const auto found = wl_domains.find(std::string(name)); found != wl_domains.end()) {
    for (const std::uint32_t entry : found->second) {
      out->push_back(MakeFinding(
          Finding::Rule::kWhitelist,
          subject + (tree ? " would block whitelisted " : " is whitelisted ") + EntryText(entry),
          {EntryHit(entry)}));
    }
  }
  // A tree above whitelisted names blocks them.
  if (tree) {
    wl_names.ForEachBelow(name, [&](const std::string&, std::uint32_t entry) {
      out->push_back(MakeFinding(Finding::Rule::kWhitelist,
                                 subject + " would block whitelisted " + EntryText(entry),
                                 {EntryHit(entry)}));
    });
  }
}

void Guard::Impl::WhitelistAddresses(const std::string& subject, const std::vector<IpInterval>& ivs,
                                     std::vector<Finding>* out) const {
  // cidr and ip entries: one finding per entry.
  std::map<std::uint32_t, std::string> by_entry;
  for (const IpInterval& iv : ivs) {
    wl_ranges.ForEachOverlap(iv, [&](const IntervalIndex<std::uint32_t>::Entry& e) {
      by_entry.emplace(e.payload, std::string(RelationWord(iv, e.interval)));
    });
  }
  for (const auto& [entry, relation] : by_entry) {
    std::string text = subject;
    text += " " + relation + " whitelisted " + EntryText(entry);
    out->push_back(MakeFinding(Finding::Rule::kWhitelist, std::move(text), {EntryHit(entry)}));
  }
  // asn entries: one finding per entry, naming the prefixes the target reaches.
  struct AsnHits {
    bool inside = false;
    std::vector<std::uint32_t> prefixes;
  };
  std::map<std::uint32_t, AsnHits> by_asn;
  for (const IpInterval& iv : ivs) {
    wl_asn.ForEachOverlap(iv, [&](const IntervalIndex<AsnSegment>::Entry& e) {
      AsnHits& h = by_asn[e.payload.entry];
      h.inside = h.inside || internal::Contains(e.interval, iv);
      h.prefixes.push_back(e.payload.prefix);
    });
  }
  for (auto& [entry, h] : by_asn) {
    std::sort(h.prefixes.begin(), h.prefixes.end());
    h.prefixes.erase(std::unique(h.prefixes.begin(), h.prefixes.end()), h.prefixes.end());
    std::vector<std::string> names;
    for (const std::uint32_t p : h.prefixes) names.push_back(prefixes[p]);
    std::string text = subject + (h.inside ? " is in " : " covers addresses of ") + "whitelisted " +
                       EntryText(entry) + ", announced as " +
                       JoinSamples(names, options.max_samples);
    if (names.size() > options.max_samples) names.resize(options.max_samples);
    names.insert(names.begin(), EntryHit(entry));
    out->push_back(MakeFinding(Finding::Rule::kWhitelist, std::move(text), std::move(names)));
  }
}

void Guard::Impl::AssessWhitelist(const Target& t, const std::vector<IpInterval>& ivs,
                                  std::vector<Finding>* out) const {
  switch (t.kind) {
    case TargetKind::kDomain: WhitelistName(Subject(t), t.value, false, out); return;
    case TargetKind::kDomainTree: WhitelistName(Subject(t), t.value, true, out); return;
    case TargetKind::kIp:
    case TargetKind::kCidr: WhitelistAddresses(Subject(t), ivs, out); return;
    case TargetKind::kUrl:
    case TargetKind::kSearch: {
      std::string_view host = t.value;
      if (t.value.find("://") != std::string::npos) {
        const UrlParts parts = SplitCanonicalUrl(t.value);
        if (!parts.valid) return;
        host = parts.host;
      }
      const std::string subject = Subject(t) + " (host " + std::string(host) + ")";
      if (const std::optional<IpInterval> ip = IntervalOf(host)) {
        WhitelistAddresses(subject, {*ip}, out);
      } else {
        WhitelistName(subject, host, false, out);
      }
      return;
    }
    case TargetKind::kApp: return;
  }
}

void Guard::Impl::AssessPopular(const Target& t, std::vector<Finding>* out) const {
  if (popular.empty()) return;
  const bool tree = t.kind == TargetKind::kDomainTree;
  std::vector<std::string> parts;
  std::vector<std::string> hits;
  // The name, or the listed site it is under (not above its registrable domain: a page on
  // foo.blogspot.com is not blogspot.com).
  std::string_view registrable = psl->RegistrableDomain(t.value);
  if (registrable.empty()) registrable = t.value;
  for (const std::string_view name : SelfAndAncestors(t.value)) {
    if (const auto found = popular.find(std::string(name)); found != popular.end()) {
      const std::string rank = "#" + std::to_string(found->second);
      if (name == t.value) {
        parts.push_back(Subject(t) + (tree ? " would block " + t.value + ", which" : "") + " is " +
                        rank + " on the popular-sites list");
      } else {
        parts.push_back(Subject(t) + " is under " + std::string(name) + ", " + rank +
                        " on the popular-sites list");
      }
      hits.emplace_back(name);
      break;
    }
    if (name.size() <= registrable.size()) break;
  }
  if (tree) {
    std::vector<std::pair<std::uint32_t, std::string>> below;
    popular_names.ForEachBelow(t.value, [&](const std::string& name, std::uint32_t rank) {
      below.emplace_back(rank, name);
    });
    if (!below.empty()) {
      std::sort(below.begin(), below.end());
      std::vector<std::string> samples;
      samples.reserve(below.size());
      for (const auto& [rank, name] : below)
        samples.push_back(name + " (#" + std::to_string(rank) + ")");
      parts.push_back(
          Subject(t) + " would block " + Plural(below.size(), "site", "sites") +
          " below it on the popular-sites list: " + JoinSamples(samples, options.max_samples));
      for (std::size_t i = 0; i < below.size() && i < options.max_samples; ++i) {
        hits.push_back(below[i].second);
      }
    }
  }
  if (parts.empty()) return;
  std::string text = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) text += "; " + parts[i];
  out->push_back(MakeFinding(Finding::Rule::kPopular, std::move(text), std::move(hits)));
}

// ---------------------------------------------------------------------------------------------
// Guard

std::vector<Finding> Guard::Assess(const Target& target, std::span<const Target> same_request,
                                   UnixTime now) const {
  std::vector<Finding> out;
  const Impl& impl = *impl_;
  switch (target.kind) {
    case TargetKind::kDomain:
    case TargetKind::kDomainTree:
      impl.AssessPublicSuffix(target, &out);
      impl.AssessWhitelist(target, {}, &out);
      impl.AssessPopular(target, &out);
      break;
    case TargetKind::kIp:
    case TargetKind::kCidr: {
      const std::vector<IpInterval> ivs = TargetIntervals(target);
      if (ivs.empty()) break;
      impl.AssessRanges(target, ivs, &out);
      impl.AssessSharedAddress(target, ivs, same_request, now, &out);
      impl.AssessWhitelist(target, ivs, &out);
      break;
    }
    case TargetKind::kUrl:
    case TargetKind::kSearch: impl.AssessWhitelist(target, {}, &out); break;
    case TargetKind::kApp: break;
  }
  return out;
}

std::vector<std::vector<Finding>> Guard::AssessAll(std::span<const Target> targets,
                                                   UnixTime now) const {
  std::vector<std::vector<Finding>> out;
  out.reserve(targets.size());
  for (const Target& t : targets) out.push_back(Assess(t, targets, now));
  return out;
}

const GuardOptions& Guard::options() const {
  return impl_->options;
}
const PublicSuffixList& Guard::public_suffixes() const {
  return *impl_->psl;
}

Guard::Stats Guard::stats() const {
  Stats s;
  s.providers = impl_->providers.size();
  for (const auto& p : impl_->providers) s.ranges += p.ranges.size();
  s.passive_dns = impl_->observations.size();
  s.whitelist = impl_->whitelist.size();
  s.asn_segments = impl_->wl_asn.size();
  s.popular = impl_->popular.size();
  return s;
}

}  // namespace interdict::guard
