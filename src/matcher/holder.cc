#include "matcher/holder.h"

#include <utility>

namespace interdict {

void SnapshotHolder::Publish(std::shared_ptr<const Snapshot> next) {
  std::shared_ptr<const Snapshot> old;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    old = std::exchange(current_, std::move(next));
    version_.fetch_add(1, std::memory_order_release);
  }
  // `old` is released here, outside the lock, or later by its last reader.
}

std::shared_ptr<const Snapshot> SnapshotHolder::Get() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

const Snapshot* SnapshotHolder::Reader::Current() {
  if (holder_.version_.load(std::memory_order_acquire) != seen_) {
    const std::lock_guard<std::mutex> lock(holder_.mu_);
    snapshot_ = holder_.current_;
    seen_ = holder_.version_.load(std::memory_order_relaxed);
  }
  return snapshot_.get();
}

void SnapshotHolder::Reader::Release() {
  snapshot_.reset();
  seen_ = ~0ULL;
}

}  // namespace interdict
