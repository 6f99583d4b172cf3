// The bridge from the registry to the compiled matcher: compile the in-force set, and keep the
// compiled image in a cache file beside the database so that `interdict check` and DPI tools
// map it instead of compiling again. Thread-safety: free functions; the Registry they take is
// not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "matcher/snapshot.h"
#include "registry/registry.h"

namespace interdict {

// Compiles an in-force snapshot: every (target, order) pair becomes a rule, and the image
// records the registry id as its source and the registry serial as its serial.
Result<Snapshot> CompileInForce(const InForceSnapshot& in_force, SnapshotBuildOptions options = {});

// The compiled in-force set of `registry` now. If `cache_path` holds an image of this registry
// at its current serial, it is mapped; otherwise the set is compiled and, when `cache_path` is
// not empty, written there atomically (a failure to write is not an error: *cache_note says
// why). `*from_cache` tells which happened.
Result<std::shared_ptr<const Snapshot>> CurrentMatcher(Registry& registry,
                                                       const std::string& cache_path,
                                                       bool* from_cache, std::string* cache_note);

}  // namespace interdict
