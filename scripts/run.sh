#!/usr/bin/env bash
# Quick start, part one: install what is missing, build, and run the main job — a demo registry
# under ./var (created on first run), its summary and an export of the in-force set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target interdict
exec ./build/release/apps/interdict --db ./var/interdict.db demo --data testdata "$@"
