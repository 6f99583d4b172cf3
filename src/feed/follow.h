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
// entries after it. Equal to ReadView at `to`.
Result<ViewSet> Advance(Registry& registry, const ViewSet& old, Serial to);

}  // namespace interdict::feed
