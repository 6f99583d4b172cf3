// Following a registry: moving a view forward to a later serial by replaying the in-force log,
// instead of reading the whole in-force set again. A server that publishes feeds keeps its views
// current this way: the cost of a change is the size of the change, not of the set.
//
// Thread-safety: free functions, as thread-safe as the Registry they read.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/status.h"
#include "feed/view.h"
#include "registry/registry.h"

namespace interdict::feed {

// The view at serial `to` (old.serial <= to <= the registry's serial), from `old` and the log
// entries after it. Equal to ReadView at `to`. The result shares with `old` every chunk of
// entries and orders the change does not touch: the cost is the log read, O(change · log n),
// plus O(n / 256) for the chunk pointers. `old.uses` must be right (ViewSet says how).
// When `delta` is given, it receives the change from old.serial to `to` (as Diff would give).
Result<ViewSet> Advance(Registry& registry, const ViewSet& old, Serial to,
                        ViewDelta* delta = nullptr);

// One step of following a registry with several views at once (the DNS server's zones, the HTTP
// feeds). `current` holds the views as last followed, one per entry of `views`, all of one
// registry at one serial; empty before the first step.
struct FollowStep {
  std::vector<ViewSet> views;     // one per entry of `views`, at the registry's serial
  std::vector<ViewDelta> deltas;  // the change to each, when advanced (empty when reloaded)
  bool reloaded = false;          // read whole: the first step, or another registry
};
// nullopt when the registry has not moved since `current`. The first step, and a registry whose
// id changed (the database was replaced), read the whole set; otherwise each view is advanced
// through the log (Advance). FailedPrecondition when the registry's serial went back.
Result<std::optional<FollowStep>> FollowRegistry(Registry& registry, std::span<const View> views,
                                                 std::span<const ViewSet* const> current);

}  // namespace interdict::feed
