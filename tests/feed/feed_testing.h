// Shared pieces of the feed tests: a registry over a temporary SQLite store with a fake clock,
// and a random workflow over a small pool of targets (so that orders overlap often) that
// records every view at every serial it passes.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "feed/view.h"
#include "registry/registry.h"
#include "store/store.h"
#include "testing/targets.h"
#include "testing/temp_dir.h"

namespace interdict {
// Readable values in failure messages.
inline void PrintTo(const Target& t, std::ostream* os) {
  *os << t.ToString();
}
namespace feed {
inline void PrintTo(const FeedEntry& e, std::ostream* os) {
  *os << e.target.ToString() << " by";
  for (const Id id : e.orders) *os << ' ' << id;
}
}  // namespace feed
}  // namespace interdict

namespace interdict::feed::feedtest {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21
constexpr std::int64_t kDay = 86400;
constexpr std::string_view kActor = "tester";

using interdict::testing::T;

// A registry in its own temporary folder.
class TestRegistry {
 public:
  TestRegistry() {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"));
    if (!s.ok()) {
      ADD_FAILURE() << s.status().ToString();
      return;
    }
    store_ = std::move(s).value();
    registry_ = std::make_unique<Registry>(*store_, clock_);
  }

  // Replaces the registry over the same store with one of these options (before anything holds
  // a reference to the registry).
  void SetOptions(const RegistryOptions& options) {
    registry_ = std::make_unique<Registry>(*store_, clock_, options);
  }

  Registry& registry() { return *registry_; }
  FakeClock& clock() { return clock_; }
  const testing::TempDir& dir() const { return dir_; }

  // Issues an order now (or pending until `effective_at`), valid for 30 days by default.
  Order Create(const std::string& ref, ScopeSet scope, const std::vector<std::string_view>& targets,
               bool dynamic = false, UnixTime effective_at = 0, UnixTime expires_at = 0) {
    OrderRequest r;
    r.body = "Court of Lima";
    r.kind = OrderKind::kCourtRuling;
    r.reference = ref;
    r.effective_at = effective_at;
    r.expires_at = expires_at != 0 ? expires_at : clock_.Now() + 30 * kDay;
    r.scope = scope;
    r.categories = Bit(Category::kTorrent);
    r.dynamic = dynamic;
    for (const std::string_view t : targets) r.targets.push_back(T(t));
    Result<Order> o = registry_->CreateOrder(kActor, r);
    if (!o.ok()) {
      ADD_FAILURE() << ref << ": " << o.status().ToString();
      return {};
    }
    return *o;
  }

  ViewSet View(feed::View v) {
    Result<ViewSet> set = ReadView(*registry_, v);
    if (!set.ok()) ADD_FAILURE() << set.status().ToString();
    return set.ok() ? *set : ViewSet{};
  }

  Serial CurrentSerial() { return *registry_->CurrentSerial(); }

 private:
  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
};

// The pool the random workflow draws targets from: few names, so that orders overlap; a domain
// and a domain-tree on one name; an ip and the cidr of its one address; nested networks; every
// kind.
inline const std::vector<std::string>& TargetPool() {
  static const std::vector<std::string> pool = {
      "a.example",
      "*.a.example",
      "b.a.example",
      "*.b.a.example",
      "c.example",
      "*.c.example",
      "d.example",
      "192.0.2.1",
      "cidr:192.0.2.1/32",
      "192.0.2.0/24",
      "192.0.2.128/25",
      "192.0.0.0/16",
      "198.51.100.7",
      "2001:db8::1",
      "cidr:2001:db8::1/128",
      "2001:db8::/32",
      "2001:db8:0:1::/64",
      "url:https://a.example/x",
      "url:https://c.example/dl/*",
      "play:com.pirate.app",
      "apple:id123",
      "search:d.example",
      "search:https://c.example/y",
  };
  return pool;
}

using Views = std::array<ViewSet, std::size(kAllViews)>;

// A random workflow on a registry: orders with random scopes and targets, targets added to
// dynamic orders, lifts, suspensions, resumptions, and time passing with sweeps. Every view is
// recorded at every serial it passes (each step moves the serial by one at most).
class RandomWorkflow {
 public:
  RandomWorkflow(TestRegistry& r, std::uint64_t seed) : r_(r), rng_(seed) { Record(); }

  // One random step. Errors the workflow rules allow (lifting a lifted order...) are ignored;
  // any other error fails the test.
  void Step() {
    const int what = Uniform(0, 99);
    const Serial before = r_.CurrentSerial();
    if (what < 30 || orders_.empty()) {
      CreateRandomOrder();
    } else if (what < 45) {
      AddRandomTargets();
    } else if (what < 58) {
      Change([this](Id id) { return r_.registry().Lift(kActor, id, "lifted"); });
    } else if (what < 72) {
      Change([this](Id id) { return r_.registry().Suspend(kActor, id, "appeal"); });
    } else if (what < 86) {
      Change([this](Id id) { return r_.registry().Resume(kActor, id, "appeal dismissed"); });
    } else {
      r_.clock().Advance(Uniform(1, 6 * 24) * 3600);
      Result<SweepReport> s = r_.registry().Sweep(kActor);
      if (!s.ok()) ADD_FAILURE() << s.status().ToString();
    }
    const Serial after = r_.CurrentSerial();
    if (after > before + 1) ADD_FAILURE() << "a step took " << after - before << " serials";
    if (after != before) Record();
  }

  // The views at each serial passed so far.
  const std::map<Serial, Views>& history() const { return history_; }
  Views Now() { return ReadAll(); }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::vector<Target> RandomTargets() {
    const auto& pool = TargetPool();
    std::vector<Target> out;
    const int n = Uniform(1, 4);
    for (int i = 0; i < n; ++i) {
      out.push_back(
          T(pool[static_cast<std::size_t>(Uniform(0, static_cast<int>(pool.size()) - 1))]));
    }
    return out;
  }

  void CreateRandomOrder() {
    OrderRequest r;
    r.body = Uniform(0, 1) == 0 ? "Court of Lima" : "INDECOPI";
    r.kind = OrderKind::kCourtRuling;
    r.reference = "R-" + std::to_string(++created_);
    const UnixTime now = r_.clock().Now();
    if (Uniform(0, 4) == 0) r.effective_at = now + Uniform(1, 3 * 24) * 3600;  // pending
    r.expires_at = std::max(now, r.effective_at) + Uniform(1, 20 * 24) * 3600;
    r.scope = static_cast<ScopeSet>(Uniform(1, 15));
    r.categories = Bit(Category::kTorrent);
    r.dynamic = Uniform(0, 1) == 0;
    r.targets = RandomTargets();
    Result<Order> o = r_.registry().CreateOrder(kActor, r);
    if (!o.ok()) {
      ADD_FAILURE() << r.reference << ": " << o.status().ToString();
      return;
    }
    orders_.push_back(o->id);
  }

  Id RandomOrder() {
    return orders_[static_cast<std::size_t>(Uniform(0, static_cast<int>(orders_.size()) - 1))];
  }

  void AddRandomTargets() {
    const std::vector<Target> targets = RandomTargets();
    Result<std::size_t> n = r_.registry().AddTargets(kActor, RandomOrder(), targets, "mirror");
    if (!n.ok()) Expected(n.status());
  }

  template <typename F>
  void Change(F f) {
    Result<Order> o = f(RandomOrder());
    if (!o.ok()) Expected(o.status());
  }

  static void Expected(const Status& s) {
    if (s.code() != StatusCode::kFailedPrecondition) ADD_FAILURE() << s.ToString();
  }

  Views ReadAll() {
    Views v;
    for (std::size_t i = 0; i < std::size(kAllViews); ++i) v[i] = r_.View(kAllViews[i]);
    return v;
  }

  void Record() {
    Views v = ReadAll();
    const Serial s = v[0].serial;
    history_[s] = std::move(v);
  }

  TestRegistry& r_;
  std::mt19937_64 rng_;
  std::vector<Id> orders_;
  int created_ = 0;
  std::map<Serial, Views> history_;
};

// Runs a shell command, with /usr/sbin and /sbin on the PATH (where nft, ipset, bird, unbound
// and named live); returns its exit status (-1 when it could not run) and its output (stdout and
// stderr together).
inline int RunCommand(const std::string& command, std::string* output) {
  output->clear();
  const std::string line = "export PATH=\"$PATH:/usr/sbin:/sbin\"; " + command + " 2>&1";
  FILE* p = popen(line.c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) output->append(buf.data(), n);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Whether `tool` is on the PATH (or in /usr/sbin, /sbin).
inline bool HaveTool(const std::string& tool) {
  std::string out;
  return RunCommand("command -v " + tool, &out) == 0;
}

}  // namespace interdict::feed::feedtest
