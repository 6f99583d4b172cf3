// Following a registry: moving a view forward to a later serial by replaying the in-force log,
// instead of reading the whole in-force set again. A server that publishes feeds keeps its views
// current this way: the cost of a change is the size of the change, not of the set.
//
// Thread-safety: free functions, as thread-safe as the Registry they read.
#pragma once

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

}  // namespace interdict::feed
