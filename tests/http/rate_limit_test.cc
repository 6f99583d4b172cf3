// Token buckets on a fake clock: burst, refill, retry-after, independent keys, costs, bounded
// memory, and concurrent takers.
#include "http/rate_limit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace interdict::http {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiter, BurstThenRefill) {
  FakeMonotonicClock clock;
  RateLimiter limiter(2, 3, clock);  // 2 a second, bursts of 3
  EXPECT_EQ(limiter.Take("a"), std::nullopt);
  EXPECT_EQ(limiter.Take("a"), std::nullopt);
  EXPECT_EQ(limiter.Take("a"), std::nullopt);
  EXPECT_EQ(limiter.Take("a"), milliseconds(500));
  EXPECT_EQ(limiter.Take("b"), std::nullopt);  // keys are independent
  clock.Advance(milliseconds(200));
  EXPECT_EQ(limiter.Take("a"), milliseconds(300));
  clock.Advance(milliseconds(300));
  EXPECT_EQ(limiter.Take("a"), std::nullopt);
  EXPECT_EQ(limiter.Take("a"), milliseconds(500));
  // Idle for a long time: back to the burst, not more.
  clock.Advance(std::chrono::hours(1));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("a"), std::nullopt) << i;
  EXPECT_NE(limiter.Take("a"), std::nullopt);
}

TEST(RateLimiter, Costs) {
  FakeMonotonicClock clock;
  RateLimiter limiter(10, 5, clock);
  EXPECT_EQ(limiter.Take("k", 4), std::nullopt);
  EXPECT_EQ(limiter.Take("k", 2), milliseconds(100));  // 1 left, 1 more in 0.1 s
  EXPECT_EQ(limiter.Take("k", 0.5), std::nullopt);
  // More than the burst: never allowed, nothing taken.
  clock.Advance(std::chrono::seconds(10));
  EXPECT_EQ(limiter.Take("k", 6), milliseconds(100));
  EXPECT_EQ(limiter.Take("k", 5), std::nullopt);
}

TEST(RateLimiter, MemoryIsBounded) {
  FakeMonotonicClock clock;
  RateLimiter limiter(1, 1, clock, /*max_keys=*/256);
  for (int i = 0; i < 20000; ++i) {
    EXPECT_EQ(limiter.Take("client-" + std::to_string(i)), std::nullopt);
    clock.Advance(std::chrono::microseconds(10));
  }
  EXPECT_LE(limiter.size(), 256u);
  // A recent, exhausted key survives eviction of older ones.
  EXPECT_NE(limiter.Take("client-19999"), std::nullopt);
  // Idle keys (full again) are dropped first, and they behave as new.
  clock.Advance(std::chrono::seconds(5));
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(limiter.Take("other-" + std::to_string(i)), std::nullopt);
  EXPECT_LE(limiter.size(), 256u);
}

TEST(RateLimiter, ConcurrentTakersShareOneBucket) {
  FakeMonotonicClock clock;
  RateLimiter limiter(1, 1000, clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (!limiter.Take("shared")) ++allowed;
        limiter.Take("own-" + std::to_string(i));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(RateLimiter, SteadyClockWorks) {
  RateLimiter limiter(1000, 2);
  EXPECT_EQ(limiter.Take("x"), std::nullopt);
  EXPECT_EQ(limiter.Take("x"), std::nullopt);
}

}  // namespace
}  // namespace interdict::http
