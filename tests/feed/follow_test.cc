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
  const std::vector<FeedEntry> g = got.entries.ToVector();
  const std::vector<FeedEntry> w = want.entries.ToVector();
  ASSERT_EQ(g.size(), w.size()) << where;
  for (std::size_t i = 0; i < g.size(); ++i) {
    EXPECT_EQ(g[i], w[i]) << where << " entry " << i;
  }
  EXPECT_EQ(got.orders, want.orders) << where;
  EXPECT_EQ(got.uses.ToVector(), want.uses.ToVector()) << where;
}

// Advance's delta must be the one Diff gives between the two views.
void ExpectSameDelta(const ViewDelta& got, const ViewDelta& want, const std::string& where) {
  EXPECT_EQ(got.from, want.from) << where;
  EXPECT_EQ(got.to, want.to) << where;
  EXPECT_EQ(got.added, want.added) << where;
  EXPECT_EQ(got.removed, want.removed) << where;
  EXPECT_EQ(got.orders, want.orders) << where;
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
      ViewDelta delta;
      Result<ViewSet> next = Advance(registry, followed[v], now, &delta);
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      Result<ViewSet> fresh = ReadView(registry, kAllViews[v]);
      ASSERT_TRUE(fresh.ok());
      const std::string where =
          "step " + std::to_string(step) + " view " + std::string(ViewName(kAllViews[v]));
      ExpectSameView(*next, *fresh, where);
      ExpectSameDelta(delta, Diff(followed[v], *fresh), where);
      followed[v] = *std::move(next);
    }
  }
  EXPECT_GT(checked_changes, 100);
  // Moving back is refused.
  EXPECT_FALSE(Advance(registry, followed[0], followed[0].serial - 1).ok());
}

// Views of thousands of targets span many chunks (core/chunked_list.h): edits that land in
// the first, middle and last chunks, split them, empty them and join them must still give the
// view that reading it again gives.
TEST(FeedAdvance, EqualsReadingTheViewAgainOnAViewOfManyChunks) {
  testing::TempDir dir;
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(dir.File("r.db"));
  ASSERT_TRUE(store.ok());
  FakeClock clock(kStart);
  Registry registry(**store, clock);
  std::mt19937 rng(7);
  auto name = [&](std::size_t i) {
    return (i % 3 == 0 ? "*." : "") + std::string("n") + std::to_string(i) + ".example";
  };
  constexpr std::size_t kPool = 6000;
  std::vector<Id> orders;
  auto create = [&](std::size_t first, std::size_t count, std::size_t stride) {
    OrderRequest r;
    r.body = "Court";
    r.reference = "R-" + std::to_string(orders.size());
    r.expires_at = clock.Now() + 30 * kDay;
    r.scope = Bit(Scope::kIsp);
    r.dynamic = true;
    for (std::size_t i = 0; i < count; ++i) {
      r.targets.push_back(*ParseTarget(name((first + i * stride) % kPool)));
    }
    Result<Order> o = registry.CreateOrder(kActor, r);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    orders.push_back(o->id);
  };
  // Every other name of the pool, in 6 orders: about 12 chunks of the largest size.
  for (std::size_t k = 0; k < 6; ++k) create(k * 1000, 500, 2);
  Result<ViewSet> followed = ReadView(registry, View::kIsp);
  ASSERT_TRUE(followed.ok());
  ASSERT_EQ(followed->entries.size(), 3000U);
  for (int step = 0; step < 40; ++step) {
    const int what = static_cast<int>(rng() % 4);
    if (what == 0) {  // a run of neighbours: grows one chunk past its limit
      create(rng() % kPool, 700, 1);
    } else if (what == 1) {  // names spread over every chunk
      create(rng() % kPool, 300, 17);
    } else if (what == 2) {  // a lift: shrinks chunks, empties some
      const Id id = orders[rng() % orders.size()];
      (void)registry.Lift(kActor, id, "lifted");
    } else {  // mirrors added to an order
      std::vector<Target> more;
      const std::size_t first = rng() % kPool;
      for (std::size_t i = 0; i < 50; ++i) more.push_back(*ParseTarget(name((first + i) % kPool)));
      (void)registry.AddTargets(kActor, orders[rng() % orders.size()], more, "mirror");
    }
    ViewDelta delta;
    Result<ViewSet> next = Advance(registry, *followed, *registry.CurrentSerial(), &delta);
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    Result<ViewSet> fresh = ReadView(registry, View::kIsp);
    ASSERT_TRUE(fresh.ok());
    const std::string where = "step " + std::to_string(step);
    ExpectSameView(*next, *fresh, where);
    ExpectSameDelta(delta, Diff(*followed, *fresh), where);
    followed = std::move(next);
  }
}

}  // namespace
}  // namespace interdict::feed
