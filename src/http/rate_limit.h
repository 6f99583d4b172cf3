// Token-bucket rate limiting per key (a client address, a token id): each key earns
// `per_second` tokens a second up to `burst`, and a request takes `cost` of them.
//
// Keys live in shards, each a mutex and a hash map, so that concurrent requests with different
// keys rarely wait on each other. Memory is bounded: a shard holds at most max_keys / shards
// keys; when one is full, keys whose bucket has refilled (idle keys, indistinguishable from new
// ones) are dropped, and if that is not enough, the least recently used eighth.
//
// Thread-safety: Take from any thread. The clock must outlive the limiter.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace interdict::http {

// A monotonic clock with sub-second resolution (time since an arbitrary epoch).
class MonotonicClock {
 public:
  virtual ~MonotonicClock() = default;
  virtual std::chrono::nanoseconds Now() const = 0;
};

// std::chrono::steady_clock. Thread-safe.
class SteadyClock final : public MonotonicClock {
 public:
  std::chrono::nanoseconds Now() const override;
  static const SteadyClock& Instance();
};

// A clock that moves only when told to (tests). Thread-safe.
class FakeMonotonicClock final : public MonotonicClock {
 public:
  std::chrono::nanoseconds Now() const override { return std::chrono::nanoseconds(now_.load()); }
  void Advance(std::chrono::nanoseconds d) { now_ += d.count(); }

 private:
  std::atomic<std::chrono::nanoseconds::rep> now_{0};
};

class RateLimiter {
 public:
  // REQUIRES: per_second > 0, burst >= 1.
  RateLimiter(double per_second, double burst,
              const MonotonicClock& clock = SteadyClock::Instance(), std::size_t max_keys = 65536);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // nullopt: allowed (the tokens are taken). Otherwise: denied, nothing taken, and how long
  // until `cost` tokens will be there (rounded up to a millisecond; at least 1 ms). A cost above
  // the burst is never allowed; its retry-after is the time to fill the bucket to `cost`.
  std::optional<std::chrono::milliseconds> Take(std::string_view key, double cost = 1);

  // Keys now remembered (for tests and metrics).
  std::size_t size() const;

 private:
  struct Shard;
  double rate_;
  double burst_;
  const MonotonicClock& clock_;
  std::size_t per_shard_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace interdict::http
