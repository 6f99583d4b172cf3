// feed::Advance must give exactly what reading the view again gives, after any workflow step:
// a random workflow over a small pool of targets (so that orders overlap), checked against
// ReadView at every serial, for every view.
#include "feed/follow.h"

#include <gtest/gtest.h>

#include <random>

#include "store/store.h"
#include "testing/temp_dir.h"

namespace interdict::feed {
namespace {

constexpr std::string_view kActor = "test";
constexpr UnixTime kStart = 1'790'000'000;
constexpr std::int64_t kDay = 86400;

void ExpectSameView(const ViewSet& got, const ViewSet& want, const std::string& where) {
  EXPECT_EQ(got.serial, want.serial) << where;
  EXPECT_EQ(got.registry_id, want.registry_id) << where;
  ASSERT_EQ(got.entries.size(), want.entries.size()) << where;
  for (std::size_t i = 0; i < got.entries.size(); ++i) {
    EXPECT_EQ(got.entries[i], want.entries[i]) << where << " entry " << i;
  }
  ASSERT_EQ(got.orders.size(), want.orders.size()) << where;
  for (const auto& [id, o] : want.orders) {
    const FeedOrder* g = got.order(id);
    ASSERT_NE(g, nullptr) << where << " order " << id;
    EXPECT_EQ(g->reference, o.reference) << where;
    EXPECT_EQ(g->scope, o.scope) << where;
  }
}

TEST(FeedAdvance, EqualsReadingTheViewAgainAfterEveryStepOfARandomWorkflow) {
  testing::TempDir dir;
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(dir.File("r.db"));
  ASSERT_TRUE(store.ok());
  FakeClock clock(kStart);
  Registry registry(**store, clock);
  const std::vector<std::string> pool = {
      "a.example",           "*.a.example",      "b.example", "*.c.example",
      "https://d.example/x", "192.0.2.0/24",     "192.0.2.7", "2001:db8::/32",
      "play:com.e.app",      "search:e.example", "f.example", "*.f.example"};
  std::mt19937 rng(2026);
  std::vector<ViewSet> followed;
  for (const View v : kAllViews) {
    Result<ViewSet> s = ReadView(registry, v);
    ASSERT_TRUE(s.ok());
    followed.push_back(*s);
  }
  std::vector<Id> orders;
  int checked_changes = 0;
  for (int step = 0; step < 150; ++step) {
    const int what = static_cast<int>(rng() % 10);
    if (what < 4 || orders.empty()) {
      OrderRequest r;
      r.body = "Court";
      r.reference = "R-" + std::to_string(step);
      r.expires_at = clock.Now() + static_cast<std::int64_t>(1 + rng() % 20) * kDay;
      r.scope = static_cast<ScopeSet>(1 + rng() % 15);
      r.dynamic = rng() % 2 == 0;
      const std::size_t n = 1 + rng() % 4;
      for (std::size_t i = 0; i < n; ++i)
        r.targets.push_back(*ParseTarget(pool[rng() % pool.size()]));
      Result<Order> o = registry.CreateOrder(kActor, r);
      ASSERT_TRUE(o.ok()) << o.status().ToString();
      orders.push_back(o->id);
    } else {
      const Id id = orders[rng() % orders.size()];
      switch (what) {
        case 4: (void)registry.Lift(kActor, id, "lifted"); break;
        case 5: (void)registry.Suspend(kActor, id, "suspended"); break;
        case 6: (void)registry.Resume(kActor, id, "resumed"); break;
        case 7: {
          const std::vector<Target> more = {*ParseTarget(pool[rng() % pool.size()])};
          (void)registry.AddTargets(kActor, id, more, "mirror");
          break;
        }
        default:
          clock.Advance(static_cast<std::int64_t>(rng() % 5) * kDay);
          ASSERT_TRUE(registry.Sweep(kActor).ok());
      }
    }
    const Serial now = *registry.CurrentSerial();
    // Advance some steps at a time too, not only one serial at a time.
    if (rng() % 3 == 0 && step != 149) continue;
    for (std::size_t v = 0; v < followed.size(); ++v) {
      if (followed[v].serial != now) ++checked_changes;
      Result<ViewSet> next = Advance(registry, followed[v], now);
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      Result<ViewSet> fresh = ReadView(registry, kAllViews[v]);
      ASSERT_TRUE(fresh.ok());
      ExpectSameView(
          *next, *fresh,
          "step " + std::to_string(step) + " view " + std::string(ViewName(kAllViews[v])));
      followed[v] = *std::move(next);
    }
  }
  EXPECT_GT(checked_changes, 100);
  // Moving back is refused.
  EXPECT_FALSE(Advance(registry, followed[0], followed[0].serial - 1).ok());
}

}  // namespace
}  // namespace interdict::feed
