// Matcher benchmark: the compiled Snapshot against three classic ways of answering the same
// question for host names -- is the name blocked by an exact rule on it or a tree rule on it or
// an ancestor, and by which order (the most specific rule wins):
//
//   hash_suffix  std::unordered_map probed with the name and each parent suffix
//   label_tree   a tree of labels from the TLD down, std::map children per node
//   marisa       a MARISA trie of reversed names, common-prefix search
//   interdict    interdict::Snapshot (src/matcher/snapshot.h)
//
// All four are built from the same rules and asked the same queries in the same run; see
// bench/matcher_data.h for the data and docs/PERFORMANCE.md for the command and the results.
// Before anything is timed, the four must agree on the first 100,000 queries of each data set
// (and the batched path with the single one), or the program stops: no figures for wrong
// answers.
//
// Memory is the bytes allocated through operator new and still live after a structure is
// built (strings and nodes included, as malloc_usable_size reports them), divided by the rules
// the structure holds: the `bytes_per_rule` counter.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "benchmark/benchmark.h"
#include "marisa.h"
#include "matcher/snapshot.h"
#include "matcher_data.h"

// ---------------------------------------------------------------------------------------------
// Allocation accounting: every operator new/delete of this binary goes through here. The
// counters are updated with plain loads and stores (no locked instructions): the benchmark is
// single-threaded, and the measured sections allocate from one thread only.

namespace {

std::atomic<std::int64_t> g_live_bytes{0};
std::atomic<std::int64_t> g_peak_bytes{0};

void Account(void* p) {
  const auto n = static_cast<std::int64_t>(malloc_usable_size(p));
  const std::int64_t live = g_live_bytes.load(std::memory_order_relaxed) + n;
  g_live_bytes.store(live, std::memory_order_relaxed);
  if (live > g_peak_bytes.load(std::memory_order_relaxed)) {
    g_peak_bytes.store(live, std::memory_order_relaxed);
  }
}

void Unaccount(void* p) {
  if (p == nullptr) return;
  const auto n = static_cast<std::int64_t>(malloc_usable_size(p));
  g_live_bytes.store(g_live_bytes.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
}

void* Allocate(std::size_t size) noexcept {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p != nullptr) Account(p);
  return p;
}

void* AllocateAligned(std::size_t size, std::align_val_t align) noexcept {
  void* p = nullptr;
  const auto a = std::max(static_cast<std::size_t>(align), sizeof(void*));
  if (posix_memalign(&p, a, size == 0 ? 1 : size) != 0) return nullptr;
  Account(p);
  return p;
}

void Release(void* p) noexcept {
  Unaccount(p);
  std::free(p);
}

[[noreturn]] void OutOfMemory() {
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) {
  void* p = Allocate(size);
  if (p == nullptr) OutOfMemory();
  return p;
}
void* operator new[](std::size_t size) {
  void* p = Allocate(size);
  if (p == nullptr) OutOfMemory();
  return p;
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return Allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return Allocate(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
  void* p = AllocateAligned(size, align);
  if (p == nullptr) OutOfMemory();
  return p;
}
void* operator new[](std::size_t size, std::align_val_t align) {
  void* p = AllocateAligned(size, align);
  if (p == nullptr) OutOfMemory();
  return p;
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, align);
}
void operator delete(void* p) noexcept {
  Release(p);
}
void operator delete[](void* p) noexcept {
  Release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  Release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  Release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  Release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  Release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  Release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  Release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  Release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  Release(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  Release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  Release(p);
}

namespace interdict::bench {
namespace {

constexpr std::uint32_t kNone = 0xffffffffU;
constexpr std::size_t kMaxName = 253;
constexpr std::size_t kGuardQueries = 100000;

bool IsNameRule(const BenchRule& r) {
  return r.kind == TargetKind::kDomain || r.kind == TargetKind::kDomainTree;
}

// What the baselines do to a query before looking: lower case, no trailing dot (the Snapshot
// does the same). Returns an empty view for names that cannot be blocked (too long).
std::string_view Fold(std::string_view query, char* buf) {
  if (!query.empty() && query.back() == '.') query.remove_suffix(1);
  if (query.size() > kMaxName) return {};
  for (std::size_t i = 0; i < query.size(); ++i) {
    const char c = query[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  }
  return {buf, query.size()};
}

// The orders behind a name: one for the exact rule, one for the tree rule (kNone when absent).
// The bench rules are unique per (kind, value), so each carries exactly one order.
struct NameEntry {
  std::uint32_t exact = kNone;
  std::uint32_t tree = kNone;
  void Set(const BenchRule& r) { (r.kind == TargetKind::kDomain ? exact : tree) = r.order; }
};

// ---------------------------------------------------------------------------------------------
// (a) hash_suffix

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

class HashSuffix {
 public:
  static constexpr std::string_view kName = "hash_suffix";

  void Build(const RuleSet& set) {
    map_.reserve(set.name_rules);
    for (const auto& r : set.rules) {
      if (IsNameRule(r)) map_[r.value].Set(r);
    }
  }

  std::uint32_t Match(std::string_view query) const {
    char buf[kMaxName];
    std::string_view name = Fold(query, buf);
    if (auto it = map_.find(name); it != map_.end()) {
      if (it->second.exact != kNone) return it->second.exact;
      if (it->second.tree != kNone) return it->second.tree;
    }
    for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.')) {
      name.remove_prefix(dot + 1);
      if (auto it = map_.find(name); it != map_.end() && it->second.tree != kNone) {
        return it->second.tree;
      }
    }
    return kNone;
  }

 private:
  std::unordered_map<std::string, NameEntry, StringHash, std::equal_to<>> map_;
};

// ---------------------------------------------------------------------------------------------
// (b) label_tree

class LabelTree {
 public:
  static constexpr std::string_view kName = "label_tree";

  void Build(const RuleSet& set) {
    for (const auto& r : set.rules) {
      if (!IsNameRule(r)) continue;
      Node* node = &root_;
      const std::string_view name = r.value;
      std::size_t end = name.size();
      while (true) {
        const std::size_t dot = name.rfind('.', end - 1);
        const std::size_t start = dot == std::string_view::npos ? 0 : dot + 1;
        const std::string_view label = name.substr(start, end - start);
        auto it = node->children.find(label);
        if (it == node->children.end()) {
          it = node->children.emplace(std::string(label), Node{}).first;
        }
        node = &it->second;
        if (start == 0) break;
        end = dot;
      }
      node->entry.Set(r);
    }
  }

  std::uint32_t Match(std::string_view query) const {
    char buf[kMaxName];
    const std::string_view name = Fold(query, buf);
    if (name.empty()) return kNone;
    const Node* node = &root_;
    std::uint32_t best = kNone;  // the tree rule on the nearest ancestor seen so far
    std::size_t end = name.size();
    while (true) {
      const std::size_t dot = name.rfind('.', end - 1);
      const std::size_t start = dot == std::string_view::npos ? 0 : dot + 1;
      const auto it = node->children.find(name.substr(start, end - start));
      if (it == node->children.end()) return best;
      node = &it->second;
      if (start == 0) {
        if (node->entry.exact != kNone) return node->entry.exact;
        return node->entry.tree != kNone ? node->entry.tree : best;
      }
      if (node->entry.tree != kNone) best = node->entry.tree;
      if (dot == 0) return best;  // an empty leftmost label
      end = dot;
    }
  }

 private:
  struct Node {
    std::map<std::string, Node, std::less<>> children;
    NameEntry entry;
  };
  Node root_;
};

// ---------------------------------------------------------------------------------------------
// (c) marisa: keys are whole names reversed with a '.' appended ("moc.elpmaxe."), so that a key
// is a prefix of a reversed query only on a label boundary. A side table indexed by key id
// holds the orders.

class MarisaSuffix {
 public:
  static constexpr std::string_view kName = "marisa";

  void Build(const RuleSet& set) {
    std::unordered_map<std::string, NameEntry> unique;
    unique.reserve(set.name_rules);
    for (const auto& r : set.rules) {
      if (IsNameRule(r)) unique[r.value].Set(r);
    }
    std::vector<NameEntry> by_key;
    by_key.reserve(unique.size());
    marisa::Keyset keys;
    std::string reversed;
    for (const auto& [name, entry] : unique) {
      reversed.assign(name.rbegin(), name.rend());
      reversed.push_back('.');
      keys.push_back(reversed.data(), reversed.size());
      by_key.push_back(entry);
    }
    try {
      trie_.build(keys);
    } catch (const marisa::Exception& e) {
      std::fprintf(stderr, "marisa: build failed: %s\n", e.what());
      std::exit(1);
    }
    entries_.assign(trie_.num_keys(), NameEntry{});
    for (std::size_t i = 0; i < keys.size(); ++i) entries_[keys[i].id()] = by_key[i];
  }

  std::uint32_t Match(std::string_view query) const {
    char buf[kMaxName];
    const std::string_view name = Fold(query, buf);
    if (name.empty()) return kNone;
    char reversed[kMaxName + 1];
    std::reverse_copy(name.begin(), name.end(), reversed);
    reversed[name.size()] = '.';
    agent_.set_query(reversed, name.size() + 1);
    std::uint32_t best = kNone;
    // Keys come shortest first: the TLD, then each longer suffix, then the whole name.
    while (trie_.common_prefix_search(agent_)) {
      const NameEntry& e = entries_[agent_.key().id()];
      if (agent_.key().length() == name.size() + 1) {
        if (e.exact != kNone) return e.exact;
        return e.tree != kNone ? e.tree : best;
      }
      if (e.tree != kNone) best = e.tree;
    }
    return best;
  }

 private:
  marisa::Trie trie_;
  std::vector<NameEntry> entries_;
  mutable marisa::Agent agent_;  // one thread per benchmark; the agent keeps search state
};

// ---------------------------------------------------------------------------------------------
// (d) interdict::Snapshot

class Ours {
 public:
  static constexpr std::string_view kName = "interdict";

  void Build(const RuleSet& set) {
    SnapshotBuildOptions options;
    options.seed = 0x5eed5eed5eed5eedULL;  // fixed so runs are comparable
    SnapshotBuilder builder(options);
    order_index_.resize(set.order_count);
    for (std::uint32_t o = 0; o < set.order_count; ++o) {
      const std::string reference = "2-" + std::to_string(1000 + o) + "/2026";
      order_index_[o] = builder.AddOrder(o + 1, reference, "Moscow City Court");
    }
    for (const auto& r : set.rules) {
      Status s = builder.AddRule(r.kind, r.value, order_index_[r.order]);
      if (!s.ok()) {
        std::fprintf(stderr, "interdict: AddRule(%s) failed: %s\n",
                     Target{r.kind, r.value}.ToString().c_str(), s.ToString().c_str());
        std::exit(1);
      }
    }
    Result<Snapshot> built = builder.Build(1);
    if (!built.ok()) {
      std::fprintf(stderr, "interdict: Build failed: %s\n", built.status().ToString().c_str());
      std::exit(1);
    }
    snapshot_.emplace(std::move(built).value());
  }

  // The Verdict itself; the guard turns it into an order through AnswerOrders.
  Verdict MatchVerdict(std::string_view query) const { return snapshot_->MatchName(query); }
  std::uint32_t Match(std::string_view query) const { return MatchVerdict(query).answer; }
  const Snapshot& snapshot() const { return *snapshot_; }
  // The bench's own bookkeeping, left out of the structure's bytes.
  std::int64_t harness_bytes() const {
    return order_index_.empty() ? 0
                                : static_cast<std::int64_t>(malloc_usable_size(
                                      const_cast<std::uint32_t*>(order_index_.data())));
  }
  // Whether the verdict's answer list holds the bench's order `order`.
  bool HasOrder(const Verdict& v, std::uint32_t order) const {
    const auto orders = snapshot_->AnswerOrders(v.answer);
    return std::find(orders.begin(), orders.end(), order_index_[order]) != orders.end();
  }

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<std::uint32_t> order_index_;  // bench order -> builder index
};

// ---------------------------------------------------------------------------------------------
// Data sets and structures, each made once on first use.

enum DataId { kGenerated = 0, kPiracy = 1, kRealLarge = 2, kDataCount = 3 };
constexpr const char* kDataNames[kDataCount] = {"generated_1M", "piracy", "real_483k"};

const RuleSet& Data(DataId id) {
  static std::unique_ptr<RuleSet> sets[kDataCount];
  if (sets[id] == nullptr) {
    const auto start = std::chrono::steady_clock::now();
    RuleSet set;
    switch (id) {
      case kGenerated: set = GenerateRuleSet(kDataNames[id], 1000000, 20261123); break;
      case kPiracy:
        set = LoadRuleSet(kDataNames[id], BlocklistDir(), {"piracy.txt", "torrent.txt"}, 7);
        break;
      default:
        set = LoadRuleSet(kDataNames[id], BlocklistDir(),
                          {"ads-nl.txt", "phishing-nl.txt", "tracking-nl.txt"}, 11);
        break;
    }
    if (set.unavailable.empty()) {
      GenerateQueries(set, 42 + static_cast<std::uint64_t>(id));
      const NameShape shape = MeasureNames(set);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr,
                   "[data] %s: %zu rules (%zu names: %.1f bytes, %.2f labels on average; "
                   "%zu list lines skipped), %u orders, %zu queries (%zu built as hits), "
                   "%zu address queries; made in %.1f s\n",
                   set.name.c_str(), set.rules.size(), set.name_rules, shape.avg_length,
                   shape.avg_labels, set.skipped_lines, set.order_count, set.queries.size(),
                   set.hit_queries, set.ip_queries.size(), seconds);
    } else {
      std::fprintf(stderr, "[data] %s: skipped: %s\n", set.name.c_str(), set.unavailable.c_str());
    }
    sets[id] = std::make_unique<RuleSet>(std::move(set));
  }
  return *sets[id];
}

std::size_t RulesHeld(const RuleSet& set, std::string_view structure) {
  return structure == Ours::kName ? set.rules.size() : set.name_rules;
}

// Builds `s` from `set` and returns the bytes it keeps allocated, and the peak on the way.
struct BuildCost {
  double seconds = 0;
  std::int64_t live_bytes = 0;
  std::int64_t peak_bytes = 0;
};

template <typename S>
BuildCost Build(S& s, const RuleSet& set) {
  BuildCost cost;
  const std::int64_t before = g_live_bytes.load(std::memory_order_relaxed);
  g_peak_bytes.store(before, std::memory_order_relaxed);
  const auto start = std::chrono::steady_clock::now();
  s.Build(set);
  cost.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  cost.live_bytes = g_live_bytes.load(std::memory_order_relaxed) - before;
  if constexpr (requires { s.harness_bytes(); }) cost.live_bytes -= s.harness_bytes();
  cost.peak_bytes = g_peak_bytes.load(std::memory_order_relaxed) - before;
  return cost;
}

struct Structures {
  HashSuffix hash;
  LabelTree tree;
  MarisaSuffix marisa;
  Ours ours;
  std::map<std::string_view, BuildCost> cost;
};

// Stops the program when the four structures disagree on any of the first kGuardQueries
// queries, or when MatchNames disagrees with MatchName.
void Guard(const RuleSet& set, const Structures& s) {
  const std::size_t n = std::min(kGuardQueries, set.queries.size());
  std::size_t wrong = 0;
  std::size_t blocked = 0;
  const auto order = [](std::uint32_t o) {
    return o == kNone ? std::string("not blocked") : "order " + std::to_string(o);
  };
  const auto report = [&](std::size_t i, const char* what) {
    if (++wrong > 10) return;
    const std::string_view q = set.query_views[i];
    const Verdict v = s.ours.MatchVerdict(q);
    std::string ours = "not blocked";
    if (v.blocked()) {
      ours = "orders";
      for (std::uint32_t o : s.ours.snapshot().AnswerOrders(v.answer)) {
        ours += " #" + std::to_string(o);
      }
    }
    std::fprintf(stderr,
                 "[guard] %s query %zu \"%s\": %s (hash_suffix: %s, label_tree: %s, marisa: %s, "
                 "interdict: %s)\n",
                 set.name.c_str(), i, set.queries[i].c_str(), what, order(s.hash.Match(q)).c_str(),
                 order(s.tree.Match(q)).c_str(), order(s.marisa.Match(q)).c_str(), ours.c_str());
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view q = set.query_views[i];
    const std::uint32_t a = s.hash.Match(q);
    const std::uint32_t b = s.tree.Match(q);
    const std::uint32_t c = s.marisa.Match(q);
    const Verdict v = s.ours.MatchVerdict(q);
    blocked += a != kNone;
    if ((a != kNone) != set.query_is_hit[i]) {
      report(i, set.query_is_hit[i] ? "built as a hit, but hash_suffix does not block it"
                                    : "built as a miss, but hash_suffix blocks it");
    } else if (a != b || a != c) {
      report(i, "baselines disagree");
    } else if (v.blocked() != (a != kNone)) {
      report(i, "interdict disagrees on blocked");
    } else if (v.blocked() && !s.ours.HasOrder(v, a)) {
      report(i, "interdict names another order");
    }
  }
  // The batched path must give the verdicts of the single one.
  std::vector<Verdict> out(64);
  for (std::size_t i = 0; i + 64 <= n; i += 64) {
    s.ours.snapshot().MatchNames(std::span(set.query_views).subspan(i, 64), out);
    for (std::size_t j = 0; j < 64; ++j) {
      const Verdict v = s.ours.MatchVerdict(set.query_views[i + j]);
      if (out[j].answer != v.answer || out[j].kind != v.kind || out[j].offset != v.offset) {
        report(i + j, "MatchNames differs from MatchName");
      }
    }
  }
  // Address queries built inside a rule must be blocked.
  std::size_t ip_blocked = 0;
  for (std::size_t i = 0; i < std::min(kGuardQueries, set.ip_queries.size()); ++i) {
    const bool hit = s.ours.snapshot().MatchIp(set.ip_queries[i]).blocked();
    ip_blocked += hit;
    if (set.ip_query_is_hit[i] && !hit && ++wrong <= 10) {
      std::fprintf(stderr,
                   "[guard] %s address query %zu \"%s\": built inside a rule but not blocked\n",
                   set.name.c_str(), i, set.ip_queries[i].c_str());
    }
  }
  if (wrong > 0) {
    std::fprintf(stderr, "[guard] %s: %zu of the first %zu queries answered wrongly; stopping\n",
                 set.name.c_str(), wrong, n);
    std::exit(1);
  }
  std::fprintf(stderr,
               "[guard] %s: all four agree on the first %zu queries (%zu blocked); MatchNames "
               "agrees with MatchName; %zu of %zu address queries blocked\n",
               set.name.c_str(), n, blocked, ip_blocked,
               std::min(kGuardQueries, set.ip_queries.size()));
}

const Structures& Built(DataId id) {
  static std::unique_ptr<Structures> built[kDataCount];
  if (built[id] == nullptr) {
    const RuleSet& set = Data(id);
    auto s = std::make_unique<Structures>();
    s->cost[HashSuffix::kName] = Build(s->hash, set);
    s->cost[LabelTree::kName] = Build(s->tree, set);
    s->cost[MarisaSuffix::kName] = Build(s->marisa, set);
    s->cost[Ours::kName] = Build(s->ours, set);
    for (const auto& [name, cost] : s->cost) {
      std::fprintf(
          stderr, "[build] %s %s: %.3f s, %.1f bytes per rule (peak %.1f)\n", set.name.c_str(),
          std::string(name).c_str(), cost.seconds,
          static_cast<double>(cost.live_bytes) / static_cast<double>(RulesHeld(set, name)),
          static_cast<double>(cost.peak_bytes) / static_cast<double>(RulesHeld(set, name)));
    }
    Guard(set, *s);
    built[id] = std::move(s);
  }
  return *built[id];
}

// True when the data set is there; otherwise marks the benchmark skipped.
bool Available(benchmark::State& state, DataId id) {
  const RuleSet& set = Data(id);
  if (set.unavailable.empty()) return true;
  state.SkipWithError(("data set " + set.name + " skipped: " + set.unavailable).c_str());
  return false;
}

void SetMemoryCounters(benchmark::State& state, const BuildCost& cost, std::size_t rules) {
  const auto r = static_cast<double>(rules);
  state.counters["bytes_per_rule"] = static_cast<double>(cost.live_bytes) / r;
  state.counters["peak_bytes_per_rule"] = static_cast<double>(cost.peak_bytes) / r;
  state.counters["rules"] = r;
}

// ---------------------------------------------------------------------------------------------
// Benchmarks

template <typename S>
void BM_Build(benchmark::State& state, DataId id) {
  if (!Available(state, id)) return;
  const RuleSet& set = Data(id);
  BuildCost cost;
  for (auto _ : state) {
    auto s = std::make_unique<S>();
    cost = Build(*s, set);
    state.SetIterationTime(cost.seconds);
    s.reset();  // not timed: the time is the one measured inside Build
  }
  SetMemoryCounters(state, cost, RulesHeld(set, S::kName));
}

template <typename S>
const S& Get(const Structures& s) {
  if constexpr (std::is_same_v<S, HashSuffix>) {
    return s.hash;
  } else if constexpr (std::is_same_v<S, LabelTree>) {
    return s.tree;
  } else if constexpr (std::is_same_v<S, MarisaSuffix>) {
    return s.marisa;
  } else {
    return s.ours;
  }
}

template <typename S>
void BM_Lookup(benchmark::State& state, DataId id) {
  if (!Available(state, id)) return;
  const RuleSet& set = Data(id);
  const Structures& built = Built(id);
  const S& s = Get<S>(built);
  const std::string_view* queries = set.query_views.data();
  const std::size_t mask = set.query_views.size() - 1;
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint32_t answer = s.Match(queries[i]);
    benchmark::DoNotOptimize(answer);
    i = (i + 1) & mask;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  SetMemoryCounters(state, built.cost.at(S::kName), RulesHeld(set, S::kName));
}

// The part of every lookup that is not the structure: reading the next query and folding its
// case, as the baselines do first. Tells how far the fastest lookup is from the floor.
void BM_LookupFloor(benchmark::State& state, DataId id) {
  if (!Available(state, id)) return;
  const RuleSet& set = Data(id);
  const std::string_view* queries = set.query_views.data();
  const std::size_t mask = set.query_views.size() - 1;
  std::size_t i = 0;
  char buf[kMaxName];
  for (auto _ : state) {
    const std::string_view name = Fold(queries[i], buf);
    benchmark::DoNotOptimize(name);
    benchmark::ClobberMemory();
    i = (i + 1) & mask;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_LookupBatch(benchmark::State& state, DataId id) {
  if (!Available(state, id)) return;
  const RuleSet& set = Data(id);
  const Snapshot& snapshot = Built(id).ours.snapshot();
  const auto batch = static_cast<std::size_t>(state.range(0));
  const std::span<const std::string_view> queries(set.query_views);
  const std::size_t mask = queries.size() - 1;  // a multiple of every batch size
  std::vector<Verdict> out(batch);
  std::size_t i = 0;
  for (auto _ : state) {
    snapshot.MatchNames(queries.subspan(i, batch), out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    i = (i + batch) & mask;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

void BM_MatchIp(benchmark::State& state, DataId id) {
  if (!Available(state, id)) return;
  const RuleSet& set = Data(id);
  if (set.ip_queries.empty()) {
    state.SkipWithError("no address rules in this data set");
    return;
  }
  const Snapshot& snapshot = Built(id).ours.snapshot();
  const std::string_view* queries = set.ip_query_views.data();
  const std::size_t mask = set.ip_query_views.size() - 1;
  std::size_t i = 0;
  for (auto _ : state) {
    Verdict v = snapshot.MatchIp(queries[i]);
    benchmark::DoNotOptimize(v);
    i = (i + 1) & mask;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

template <typename S>
void RegisterStructure(DataId id) {
  const std::string suffix = std::string(S::kName) + "/" + kDataNames[id];
  benchmark::RegisterBenchmark(("BM_Build_" + suffix).c_str(), BM_Build<S>, id)
      ->Iterations(3)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

template <typename S>
void RegisterLookup(DataId id) {
  const std::string suffix = std::string(S::kName) + "/" + kDataNames[id];
  benchmark::RegisterBenchmark(("BM_Lookup_" + suffix).c_str(), BM_Lookup<S>, id);
}

void RegisterAll() {
  for (int i = 0; i < kDataCount; ++i) {
    const auto id = static_cast<DataId>(i);
    RegisterStructure<Ours>(id);
    RegisterStructure<HashSuffix>(id);
    RegisterStructure<LabelTree>(id);
    RegisterStructure<MarisaSuffix>(id);
    RegisterLookup<Ours>(id);
    RegisterLookup<HashSuffix>(id);
    RegisterLookup<LabelTree>(id);
    RegisterLookup<MarisaSuffix>(id);
    benchmark::RegisterBenchmark((std::string("BM_Lookup_floor/") + kDataNames[id]).c_str(),
                                 BM_LookupFloor, id);
    benchmark::RegisterBenchmark(
        (std::string("BM_LookupBatch_interdict/") + kDataNames[id]).c_str(), BM_LookupBatch, id)
        ->Arg(16)
        ->Arg(32)
        ->Arg(64);
    if (id == kGenerated) {
      benchmark::RegisterBenchmark((std::string("BM_MatchIp_interdict/") + kDataNames[id]).c_str(),
                                   BM_MatchIp, id);
    }
  }
}

}  // namespace
}  // namespace interdict::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::fprintf(stderr, "[data] blocklists: %s\n", interdict::bench::BlocklistDir().c_str());
  interdict::bench::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
