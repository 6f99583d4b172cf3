// Rule sets and query streams for the matcher benchmark (bench/matcher_bench.cc).
//
// Three rule sets: a generated one (1M rules shaped after the real blocklists: name lengths,
// label counts, TLD mix, a few URLs and address ranges) and two read from the public blocklists
// in ../shared/data/blocklists, which a fresh clone does not have. Each comes with a stream of
// name queries, 90% misses (plausible popular names checked not to be blocked) and 10% hits
// (exact rules and random subdomains of tree rules), a few with upper case or a trailing dot.
// Everything is deterministic for a given seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/target.h"

namespace interdict::bench {

struct BenchRule {
  TargetKind kind = TargetKind::kDomain;
  std::string value;  // canonical (NormalizeTarget)
  std::uint32_t order = 0;
};

struct RuleSet {
  std::string name;  // "generated_1M", "piracy", "real_483k"
  // Why the set could not be made (e.g. the blocklist directory is missing); empty when usable.
  std::string unavailable;
  std::vector<BenchRule> rules;  // unique (kind, value)
  std::uint32_t order_count = 0;
  std::size_t name_rules = 0;     // domain and domain-tree rules
  std::size_t skipped_lines = 0;  // list lines that are not valid domain names

  // Name queries; the count is a power of two so the benchmarks cycle with a mask. The views
  // point into one contiguous copy of all the names (query_bytes), in order, so that reading
  // the next query streams through memory as a packet buffer would, instead of chasing a heap
  // allocation per string.
  std::vector<std::string> queries;
  std::string query_bytes;
  std::vector<std::string_view> query_views;
  std::vector<bool> query_is_hit;  // built to be blocked (the rest are checked not to be)
  std::size_t hit_queries = 0;
  // Address queries (generated set only): hits inside the ip/cidr rules and random addresses.
  std::vector<std::string> ip_queries;
  std::vector<bool> ip_query_is_hit;  // built inside a rule (the others are random)
  std::string ip_query_bytes;
  std::vector<std::string_view> ip_query_views;
};

inline constexpr std::size_t kQueryCount = std::size_t{1} << 20;

// 1M-style generated set: `rule_count` unique rules over ~50,000 orders.
RuleSet GenerateRuleSet(std::string name, std::size_t rule_count, std::uint64_t seed);

// Rules from blocklist files in `dir`: hosts format ("0.0.0.0 name") or one name per line,
// comments starting with '#' or '!'. Names are normalized with NormalizeDomain (lines that fail
// are counted and skipped) and made domain-tree rules with probability 0.35, else domain rules.
// Sets `unavailable` when a file cannot be read.
RuleSet LoadRuleSet(std::string name, const std::string& dir, const std::vector<std::string>& files,
                    std::uint64_t seed);

// Fills `set.queries` / `set.query_views` (kQueryCount names) and, when the set has address
// rules, `set.ip_queries`.
void GenerateQueries(RuleSet& set, std::uint64_t seed);

// The blocklist directory: $INTERDICT_BLOCKLISTS, else the path compiled in.
std::string BlocklistDir();

// Average length and label count of the name rules, for the log line.
struct NameShape {
  double avg_length = 0;
  double avg_labels = 0;
};
NameShape MeasureNames(const RuleSet& set);

}  // namespace interdict::bench
