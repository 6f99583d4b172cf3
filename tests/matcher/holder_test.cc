#include "matcher/holder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace interdict {
namespace {

// Snapshot n blocks "s<n>.test" and the tree "all.test" with order n, nothing else.
std::shared_ptr<const Snapshot> Numbered(std::uint64_t n) {
  SnapshotBuilder b;
  const std::uint32_t o = b.AddOrder(static_cast<std::int64_t>(n), "R" + std::to_string(n), "B");
  EXPECT_TRUE(b.AddRule(TargetKind::kDomain, "s" + std::to_string(n) + ".test", o).ok());
  EXPECT_TRUE(b.AddRule(TargetKind::kDomainTree, "all.test", o).ok());
  Result<Snapshot> s = b.Build(n);
  EXPECT_TRUE(s.ok());
  return std::make_shared<const Snapshot>(std::move(s).value());
}

TEST(SnapshotHolder, EmptyUntilPublished) {
  SnapshotHolder h;
  EXPECT_EQ(h.Get(), nullptr);
  SnapshotHolder::Reader r(h);
  EXPECT_EQ(r.Current(), nullptr);
  h.Publish(Numbered(1));
  ASSERT_NE(r.Current(), nullptr);
  EXPECT_EQ(r.Current()->serial(), 1U);
  EXPECT_EQ(h.version(), 1U);
}

TEST(SnapshotHolder, OldSnapshotIsFreedWhenItsLastReaderLetsGo) {
  SnapshotHolder h;
  h.Publish(Numbered(1));
  std::weak_ptr<const Snapshot> first = h.Get();
  SnapshotHolder::Reader r(h);
  ASSERT_EQ(r.Current()->serial(), 1U);
  h.Publish(Numbered(2));
  EXPECT_FALSE(first.expired()) << "the reader still holds it";
  r.Release();
  EXPECT_TRUE(first.expired());
  EXPECT_EQ(r.Current()->serial(), 2U);
}

// Readers hammer the holder while a writer swaps snapshots; each lookup must see one whole
// snapshot: the answer names the same serial as the snapshot, and serials only go forward.
TEST(SnapshotHolder, ReadersNeverSeeAHalfSnapshot) {
  SnapshotHolder h;
  h.Publish(Numbered(1));
  constexpr std::uint64_t kSwaps = 200;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> lookups{0};
  std::atomic<int> errors{0};
  auto reader = [&](bool cached) {
    SnapshotHolder::Reader r(h);
    std::uint64_t last = 0;
    while (!done.load(std::memory_order_acquire)) {
      std::shared_ptr<const Snapshot> held;
      const Snapshot* s = nullptr;
      if (cached) {
        s = r.Current();
      } else {
        held = h.Get();
        s = held.get();
      }
      const std::uint64_t n = s->serial();
      const Verdict own = s->MatchName("s" + std::to_string(n) + ".test");
      const Verdict tree = s->MatchName("x.all.test");
      const Verdict other = s->MatchName("s" + std::to_string(n + 1) + ".test");
      if (n < last || !own.blocked() || !tree.blocked() || other.blocked() ||
          s->order(s->AnswerOrders(tree.answer)[0]).id != static_cast<std::int64_t>(n)) {
        errors.fetch_add(1);
      }
      last = n;
      lookups.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) readers.emplace_back(reader, i % 2 == 0);
  for (std::uint64_t n = 2; n <= kSwaps; ++n) h.Publish(Numbered(n));
  done.store(true, std::memory_order_release);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(lookups.load(), 0U);
  EXPECT_EQ(h.Get()->serial(), kSwaps);
}

}  // namespace
}  // namespace interdict
