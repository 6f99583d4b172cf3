#!/usr/bin/env bash
# Quick start, part two: install what is missing, build, and pass every test — the developer
# build first, then the same tests under AddressSanitizer and UndefinedBehaviorSanitizer, then
# the concurrency tests (the snapshot holder, the HTTP server and API) under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
for preset in dev asan; do
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== $preset: test" >&2
  ctest --preset "$preset"
done
# ThreadSanitizer: only the concurrency tests (the tsan build preset builds their binaries).
echo "== tsan: configure, build and test the concurrency tests" >&2
cmake --preset tsan >/dev/null
cmake --build --preset tsan
ctest --preset tsan
echo "all tests passed (dev, asan, and tsan for the concurrency tests)" >&2
