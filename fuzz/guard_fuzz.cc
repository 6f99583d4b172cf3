// Fuzz target for the collateral-damage guard's parsers (src/guard/data.h, the public suffix list
// text): every parser runs on the input and must not crash; an error must name the file and a
// line; what parses must be canonical (normalizing it again changes nothing). A Guard is then
// built from whatever parsed, and each parsed entry must be found again by Assess: a provider's
// range as a cidr target is flagged cdn-range, a whitelisted name or range is flagged whitelist,
// a listed site is flagged popular, an address seen in passive DNS is flagged shared-address
// (with a threshold of 0). A violation aborts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "guard/data.h"
#include "guard/guard.h"
#include "guard/psl.h"
#include "model/target.h"

namespace {

using interdict::Result;
using interdict::Status;
using interdict::Target;
using interdict::TargetKind;
using namespace interdict::guard;  // NOLINT(google-build-using-namespace)

constexpr std::size_t kMaxChecks = 64;  // entries re-assessed per data set

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  (void)std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
                     static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void CheckError(const Status& status) {
  if (status.message().rfind("fuzz:", 0) != 0) Fail("error without file:line", status.message());
}

void CheckCanonical(std::string_view what, const Result<std::string>& again,
                    std::string_view value) {
  if (!again.ok() || *again != value) Fail(what, value);
}

bool Has(const std::vector<Finding>& findings, Finding::Rule rule) {
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) {
    if (f.explanation.empty()) Fail("finding without an explanation", "");
    return f.rule == rule;
  });
}

const PublicSuffixList& Psl() {
  static const PublicSuffixList psl = [] {
    Result<PublicSuffixList> r = PublicSuffixList::System();
    if (!r.ok()) Fail("no public suffix list", r.status().message());
    return *r;
  }();
  return psl;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  GuardData gd;
  gd.public_suffixes = Psl();

  if (Result<RangeSet> r = ParseRangeSet(text, "fuzz", "fuzz"); r.ok()) {
    for (const std::string& cidr : r->cidrs) {
      CheckCanonical("range not canonical", interdict::NormalizeCidr(cidr), cidr);
    }
    gd.ranges.push_back(std::move(*r));
  } else {
    CheckError(r.status());
  }
  if (Result<std::vector<PassiveDnsRecord>> r = ParsePassiveDns(text, "fuzz"); r.ok()) {
    for (const PassiveDnsRecord& p : *r) {
      CheckCanonical("pdns domain not canonical", interdict::NormalizeDomain(p.domain), p.domain);
      CheckCanonical("pdns ip not canonical", interdict::NormalizeIp(p.ip), p.ip);
    }
    gd.passive_dns = std::move(*r);
  } else {
    CheckError(r.status());
  }
  if (Result<std::vector<WhitelistEntry>> r = ParseWhitelist(text, "fuzz"); r.ok()) {
    for (const WhitelistEntry& e : *r) {
      if (e.note.empty()) Fail("whitelist entry without a note", e.value);
    }
    gd.whitelist = std::move(*r);
  } else {
    CheckError(r.status());
  }
  if (Result<std::vector<PrefixAsn>> r = ParsePrefixAsns(text, "fuzz"); r.ok()) {
    gd.prefix_asns = std::move(*r);
  } else {
    CheckError(r.status());
  }
  if (Result<std::vector<PopularSite>> r = ParsePopularSites(text, "fuzz"); r.ok()) {
    for (const PopularSite& s : *r) {
      if (s.rank == 0) Fail("popular site ranked 0", s.domain);
      CheckCanonical("popular domain not canonical", interdict::NormalizeDomain(s.domain),
                     s.domain);
    }
    gd.popular = std::move(*r);
  } else {
    CheckError(r.status());
  }
  // The list's own parser (libpsl) on the same bytes; the result is only queried.
  if (Result<PublicSuffixList> psl = PublicSuffixList::FromText(text, "fuzz"); psl.ok()) {
    std::size_t total = 0;
    static_cast<void>(psl->IsPublicSuffix("example.com"));
    static_cast<void>(psl->RegistrableDomain("a.b.example.com"));
    static_cast<void>(psl->SuffixesBelow("example.com", 3, &total));
  }

  const GuardData kept = gd;
  GuardOptions options;
  options.shared_address_threshold = 0;
  options.shared_address_window_seconds = std::int64_t{1} << 40;
  options.popular_top = 0xFFFFFFFFu;
  Result<Guard> built = Guard::Build(std::move(gd), options);
  if (!built.ok()) Fail("parsed data does not build", built.status().message());
  const Guard& g = *built;
  const interdict::UnixTime now = 0;

  for (const RangeSet& set : kept.ranges) {
    for (std::size_t i = 0; i < set.cidrs.size() && i < kMaxChecks; ++i) {
      if (!Has(g.Assess(Target{TargetKind::kCidr, set.cidrs[i]}, {}, now),
               Finding::Rule::kCdnRange)) {
        Fail("a provider's range is not flagged", set.cidrs[i]);
      }
    }
  }
  for (std::size_t i = 0; i < kept.passive_dns.size() && i < kMaxChecks; ++i) {
    if (!Has(g.Assess(Target{TargetKind::kIp, kept.passive_dns[i].ip}, {}, now),
             Finding::Rule::kSharedAddress)) {
      Fail("an address seen in passive DNS is not flagged", kept.passive_dns[i].ip);
    }
  }
  for (std::size_t i = 0; i < kept.whitelist.size() && i < kMaxChecks; ++i) {
    const WhitelistEntry& e = kept.whitelist[i];
    Target t;
    switch (e.kind) {
      case WhitelistEntry::Kind::kDomain: t = Target{TargetKind::kDomain, e.value}; break;
      case WhitelistEntry::Kind::kDomainTree: t = Target{TargetKind::kDomainTree, e.value}; break;
      case WhitelistEntry::Kind::kCidr: t = Target{TargetKind::kCidr, e.value}; break;
      case WhitelistEntry::Kind::kIp: t = Target{TargetKind::kIp, e.value}; break;
      case WhitelistEntry::Kind::kAsn: continue;
    }
    if (!Has(g.Assess(t, {}, now), Finding::Rule::kWhitelist)) {
      Fail("a whitelisted entry is not flagged", e.value);
    }
  }
  for (std::size_t i = 0; i < kept.popular.size() && i < kMaxChecks; ++i) {
    if (!Has(g.Assess(Target{TargetKind::kDomain, kept.popular[i].domain}, {}, now),
             Finding::Rule::kPopular)) {
      Fail("a listed site is not flagged", kept.popular[i].domain);
    }
  }
  return 0;
}
