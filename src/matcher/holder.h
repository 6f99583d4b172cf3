// SnapshotHolder: the current snapshot of a long-running process, swapped atomically.
//
// Readers never see a half-built snapshot: Publish() installs a fully built one by swapping one
// pointer. A snapshot is freed when the last reader holding it lets go. Lookups themselves take
// no lock (a Snapshot is immutable). Hot loops use a Reader: it keeps its own reference and
// checks one atomic version counter per call; only after a Publish does it take the holder's
// mutex, once, for as long as it takes to copy a shared_ptr. The publisher holds that mutex only
// for the pointer swap: building and freeing snapshots happen outside it.
//
// Thread-safety: all SnapshotHolder methods may be called from any thread. A Reader belongs to
// one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "matcher/snapshot.h"

namespace interdict {

class SnapshotHolder {
 public:
  SnapshotHolder() = default;
  SnapshotHolder(const SnapshotHolder&) = delete;
  SnapshotHolder& operator=(const SnapshotHolder&) = delete;

  // Installs `next` (may be null: nothing is blocked). The previous snapshot lives on while a
  // reader holds it.
  void Publish(std::shared_ptr<const Snapshot> next);
  // The current snapshot, or null before the first Publish.
  std::shared_ptr<const Snapshot> Get() const;
  // Increases by one on every Publish.
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

  class Reader {
   public:
    explicit Reader(const SnapshotHolder& holder) : holder_(holder) {}
    // The current snapshot; valid until the next call to Current() or Release() on this reader.
    const Snapshot* Current();
    // Drops this reader's reference so an old snapshot can be freed while the thread idles.
    void Release();

   private:
    const SnapshotHolder& holder_;
    std::uint64_t seen_ = ~0ULL;
    std::shared_ptr<const Snapshot> snapshot_;
  };

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;  // guarded by mu_
  std::atomic<std::uint64_t> version_{0};    // written under mu_, read without it
};

}  // namespace interdict
