// SnapshotHolder: the current snapshot of a long-running process, swapped atomically.
//
// Readers never wait for a writer and never see a half-built snapshot: Publish() installs a
// fully built one with a single atomic store. A snapshot is freed when the last reader holding
// it lets go. Hot loops use a Reader, which keeps its own reference and only touches the shared
// pointer again when the holder's version changed (one relaxed atomic load per lookup).
//
// Thread-safety: all SnapshotHolder methods may be called from any thread. A Reader belongs to
// one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

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
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace interdict
