#!/usr/bin/env bash
# Matcher benchmark: builds the release preset's matcher_bench, runs every benchmark five times
# and prints the medians as one table per data set (lookups per second, bytes per rule, build
# time), next to the baselines measured in the same run.
#   bench/matcher.sh [GOOGLE-BENCHMARK FLAGS...]   e.g. --benchmark_filter=generated_1M
# The real blocklists are read from $INTERDICT_BLOCKLISTS (default ../shared/data/blocklists
# next to the repository); without them only the generated set runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# MATCHER_BENCH=path runs an already built binary instead (another build directory).
bench=${MATCHER_BENCH:-}
if [[ -z $bench ]]; then
  scripts/deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target matcher_bench >/dev/null
  bench=./build/release/bench/matcher_bench
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$work/result.json" --benchmark_out_format=json "$@"

python3 - "$work/result.json" <<'EOF'
import json, re, sys
from collections import defaultdict

doc = json.load(open(sys.argv[1]))
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
rows = defaultdict(dict)  # (data set, structure) -> column -> value
skipped = set()
runs = {}
for b in doc["benchmarks"]:
    m = re.match(r"BM_(\w+?)_(interdict|hash_suffix|label_tree|marisa|floor)/([^/]+)(?:/(\d+))?",
                 b["run_name"])
    if not m:
        continue
    what, structure, data, batch = m.groups()
    if b.get("error_occurred"):
        skipped.add((data, b.get("error_message", "")))
        continue
    # Medians when the run was repeated; the single run otherwise.
    if b.get("run_type") == "aggregate":
        if b.get("aggregate_name") != "median":
            continue
        runs[data] = "medians of %s runs" % b.get("repetitions", "?")
    elif b.get("repetitions", 1) > 1:
        continue
    else:
        runs[data] = "one run"
    row = rows[(data, structure)]
    if what == "Build":
        row["build_s"] = b["real_time"] * scale[b["time_unit"]]
        if "bytes_per_rule" in b: row["bytes_per_rule"] = b["bytes_per_rule"]
        row["rules"] = b["rules"]
    elif what == "Lookup":
        row["lookup"] = b["items_per_second"]
        if "bytes_per_rule" in b: row["bytes_per_rule"] = b["bytes_per_rule"]
    elif what == "LookupBatch":
        row["batch%s" % batch] = b["items_per_second"]
    elif what == "MatchIp":
        row["ip"] = b["items_per_second"]

def mops(v):
    return "%.2f M/s" % (v / 1e6) if v is not None else "-"

print()
for data in dict.fromkeys(d for d, _ in rows):
    ours = rows.get((data, "interdict"), {}).get("lookup")
    print("## %s (%s)" % (data, runs.get(data, "?")))
    print("| structure | lookups/s | vs interdict | batch 16 | batch 32 | batch 64 "
          "| bytes/rule | build |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for structure in ("interdict", "hash_suffix", "label_tree", "marisa"):
        r = rows.get((data, structure))
        if r is None:
            continue
        ratio = "%.1fx" % (ours / r["lookup"]) if ours and r.get("lookup") else "-"
        build = "%.4g ms" % (r["build_s"] * 1e3) if "build_s" in r else "-"
        bpr = "%.1f" % r["bytes_per_rule"] if "bytes_per_rule" in r else "-"
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            structure, mops(r.get("lookup")), ratio, mops(r.get("batch16")),
            mops(r.get("batch32")), mops(r.get("batch64")), bpr, build))
    floor = rows.get((data, "floor"), {}).get("lookup")
    if floor:
        print("\nReading and folding the queries alone: %s" % mops(floor))
    ip = rows.get((data, "interdict"), {}).get("ip")
    if ip:
        print("\nMatchIp (interdict): %s" % mops(ip))
    print()
for data, message in sorted(skipped):
    print("skipped %s: %s" % (data, message))
EOF
