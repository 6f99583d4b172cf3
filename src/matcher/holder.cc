#include "matcher/holder.h"

#include <utility>

namespace interdict {

void SnapshotHolder::Publish(std::shared_ptr<const Snapshot> next) {
  // The old snapshot is released here or by its last reader, never under the atomic's lock.
  std::shared_ptr<const Snapshot> old = current_.exchange(std::move(next));
  version_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const Snapshot> SnapshotHolder::Get() const {
  return current_.load();
}

const Snapshot* SnapshotHolder::Reader::Current() {
  const std::uint64_t v = holder_.version_.load(std::memory_order_acquire);
  if (v != seen_ || !snapshot_) {
    snapshot_ = holder_.current_.load();
    seen_ = v;
  }
  return snapshot_.get();
}

void SnapshotHolder::Reader::Release() {
  snapshot_.reset();
  seen_ = ~0ULL;
}

}  // namespace interdict
