#include "http/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace interdict::http {
namespace {

constexpr std::size_t kShards = 16;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Bucket {
  double tokens;
  std::int64_t last_ns;  // when tokens was computed
};

}  // namespace

std::chrono::nanoseconds SteadyClock::Now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
}

const SteadyClock& SteadyClock::Instance() {
  static const SteadyClock clock;
  return clock;
}

struct RateLimiter::Shard {
  std::mutex mu;
  std::unordered_map<std::string, Bucket, StringHash, std::equal_to<>> keys;
};

RateLimiter::RateLimiter(double per_second, double burst, const MonotonicClock& clock,
                         std::size_t max_keys)
    : rate_(per_second > 0 ? per_second : 1e-9),
      burst_(std::max(burst, 1.0)),
      clock_(clock),
      per_shard_(std::max<std::size_t>(max_keys / kShards, 8)),
      shards_(new Shard[kShards]) {}

RateLimiter::~RateLimiter() = default;

std::optional<std::chrono::milliseconds> RateLimiter::Take(std::string_view key, double cost) {
  const std::int64_t now = clock_.Now().count();
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.keys.find(key);
  if (it == shard.keys.end()) {
    if (shard.keys.size() >= per_shard_) {
      // Drop every key whose bucket is full again: forgetting it changes nothing.
      std::erase_if(shard.keys, [&](const auto& kv) {
        return static_cast<double>(now - kv.second.last_ns) * rate_ / 1e9 + kv.second.tokens >=
               burst_;
      });
      if (shard.keys.size() >= per_shard_ - per_shard_ / 8) {
        // All busy: drop the least recently used eighth, so that the next sweep is far off.
        std::vector<std::int64_t> times;
        times.reserve(shard.keys.size());
        for (const auto& kv : shard.keys) times.push_back(kv.second.last_ns);
        const std::size_t drop = std::max<std::size_t>(per_shard_ / 8, 1);
        std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                         times.end());
        const std::int64_t cutoff = times[drop - 1];
        std::erase_if(shard.keys, [&](const auto& kv) { return kv.second.last_ns <= cutoff; });
      }
    }
    it = shard.keys.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  if (now > b.last_ns) {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now - b.last_ns) * rate_ / 1e9);
    b.last_ns = now;
  }
  constexpr double kEpsilon = 1e-9;  // rounding of the refill arithmetic
  if (b.tokens + kEpsilon >= cost) {
    b.tokens = std::max(0.0, b.tokens - cost);
    return std::nullopt;
  }
  const double wait_ms = std::ceil((cost - b.tokens) / rate_ * 1000.0 - 1e-6);
  return std::chrono::milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(wait_ms)));
}

std::size_t RateLimiter::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    n += shards_[i].keys.size();
  }
  return n;
}

}  // namespace interdict::http
