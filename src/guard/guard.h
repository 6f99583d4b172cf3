// Guard: the collateral-damage check every target goes through before an order carries it.
//
// Blocking one Cloudflare address took down every site Cloudflare served from it; blocking a
// public suffix blocks every site registered under it. Guard::Assess says, for one target,
// what else blocking it would hit, one Finding per problem, each with a sentence a reviewer can
// act on. The rules:
//
//   public-suffix   (refuse) a domain-tree on a public suffix or above one ("com", "co.uk",
//                   "github.io", "amazonaws.com" above "s3.amazonaws.com"), or a domain that is
//                   a public suffix.
//   cdn-range       (flag) an ip or cidr inside, or containing, a CDN / cloud provider's range.
//   shared-address  (flag) an ip or cidr on which passive DNS saw more than `threshold` distinct
//                   registrable domains within the window (up to `now`), not counting domains
//                   the same request targets. A cidr counts over all its addresses.
//   whitelist       (flag) a domain equal to a whitelisted domain or inside a whitelisted tree;
//                   a domain-tree equal to, inside or above a whitelisted name; a url's or
//                   search target's host checked as a domain (or address); an ip or cidr
//                   overlapping a whitelisted cidr/ip, or mapped to a whitelisted ASN by the
//                   prefix table (longest prefix wins).
//   popular         (flag) a domain or domain-tree at or under a listed site in the top N, or a
//                   domain-tree above one.
//
// Refuse means the target must not be ordered; flag means it is refused unless an authority
// admin overrides. App targets are not assessed. Targets are expected in the model's canonical
// form (model/target.h); one that is not is assessed only by the rules that read names.
//
// Data sets come in as values (data.h), so the store can keep them; Guard::Build indexes them
// (sorted intervals per provider, a longest-prefix map of ASNs, passive DNS sorted by address).
//
// Thread-safety: a Guard is immutable; copies share the indexes, and Assess may be called from
// any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "guard/data.h"
#include "guard/psl.h"
#include "model/target.h"

namespace interdict::guard {

struct Finding {
  enum class Rule : std::uint8_t { kPublicSuffix, kCdnRange, kSharedAddress, kWhitelist, kPopular };
  enum class Severity : std::uint8_t {
    kRefuse,  // never ordered
    kFlag,    // refused unless an authority admin overrides
  };

  Rule rule = Rule::kPublicSuffix;
  Severity severity = Severity::kFlag;
  // What blocking the target would hit, as a sentence: "ip 104.16.1.1 is inside cloudflare range
  // 104.16.0.0/13: ...".
  std::string explanation;
  // The things hit, short: the public suffix, provider ranges ("cloudflare 104.16.0.0/13"), sample
  // domains, whitelisted entries ("domain-tree:google.com"), popular sites ("youtube.com").
  std::vector<std::string> hits;
};

// "public-suffix", "cdn-range", "shared-address", "whitelist", "popular".
std::string_view RuleName(Finding::Rule rule);
// "refuse", "flag".
std::string_view SeverityName(Finding::Severity severity);

struct GuardOptions {
  // shared-address: flagged when MORE than this many distinct registrable domains were seen.
  std::size_t shared_address_threshold = 10;
  // shared-address: only observations whose last-seen is at most this old count.
  std::int64_t shared_address_window_seconds = std::int64_t{30} * 24 * 3600;
  // popular: sites ranked 1..popular_top count.
  std::uint32_t popular_top = 10000;
  // How many examples an explanation names (domains, ranges, sites).
  std::size_t max_samples = 5;
};

// Everything Guard::Build indexes. Every part may be empty.
struct GuardData {
  // nullopt: PublicSuffixList::System() (the publicsuffix package's file, else libpsl's own).
  std::optional<PublicSuffixList> public_suffixes;
  std::vector<RangeSet> ranges;  // sets of the same provider are merged
  std::vector<PassiveDnsRecord> passive_dns;
  std::vector<WhitelistEntry> whitelist;
  std::vector<PrefixAsn> prefix_asns;  // used for the whitelist's asn entries
  std::vector<PopularSite> popular;
};

class Guard {
 public:
  // Indexes `data`. Values are expected canonical (as the parsers write them); one that is not
  // is an error naming the data set and the entry ("ranges cloudflare: entry 3: ...").
  static Result<Guard> Build(GuardData data, GuardOptions options = {});

  // The problems with ordering `target`, in rule order (empty: none found). `same_request` is
  // the request's targets (`target` may be among them): the shared-address rule does not count
  // the domains they block. `now` ends the passive-DNS window.
  std::vector<Finding> Assess(const Target& target, std::span<const Target> same_request,
                              UnixTime now) const;
  // Assess for every target of one request, each with the others as `same_request`.
  std::vector<std::vector<Finding>> AssessAll(std::span<const Target> targets, UnixTime now) const;

  const GuardOptions& options() const;
  // Which public suffix list is in use (PublicSuffixList::source()).
  const PublicSuffixList& public_suffixes() const;

  // Sizes of the indexed data, for status displays.
  struct Stats {
    std::size_t providers = 0;
    std::size_t ranges = 0;  // after dropping ranges inside another of the same provider
    std::size_t passive_dns = 0;
    std::size_t whitelist = 0;
    std::size_t asn_segments = 0;  // address segments mapped to whitelisted ASNs
    std::size_t popular = 0;       // sites within popular_top
  };
  Stats stats() const;

 private:
  struct Impl;
  explicit Guard(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace interdict::guard
