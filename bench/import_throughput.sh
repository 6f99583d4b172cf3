#!/usr/bin/env bash
# Import throughput: `interdict import --format zi-csv` of a generated z-i dump with N targets
# (default 1,000,000) into a fresh registry, median of R runs (default 5), against a baseline
# measured in the same run on the same file: the sqlite3 shell's `.import` of the same lines into
# one plain table (no parsing of values, no normalization, no indexes) -- the least work that
# puts those bytes into SQLite.
#   bench/import_throughput.sh [TARGETS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
targets=${1:-1000000}
runs=${2:-5}
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target interdict zi_generate >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./build/release/bench/zi_generate "$targets" >"$work/dump.csv"
records=$(($(wc -l <"$work/dump.csv") - 1))

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
seconds() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); awk -v a="$s" -v b="$e" 'BEGIN {printf "%.3f", (b - a) / 1e9}'; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }

ours=()
base=()
for ((i = 0; i < runs; i++)); do
  rm -f "$work"/*.db*
  base+=("$(seconds sqlite3 "$work/base.db" "CREATE TABLE dump (ips, domains, urls, body, number, date)" \
    ".mode csv" ".separator ;" ".import --skip 1 $work/dump.csv dump")")
  ours+=("$(seconds ./build/release/apps/interdict --bound-pairs 0 --bound-fraction 0 --db "$work/reg.db" import --format zi-csv "$work/dump.csv")")
done
m_ours=$(printf '%s\n' "${ours[@]}" | median)
m_base=$(printf '%s\n' "${base[@]}" | median)
echo "file: $records records, $targets targets, $(du -m "$work/dump.csv" | cut -f1) MB"
echo "interdict import:  runs ${ours[*]} s; median $m_ours s = $(calc %d "$targets / $m_ours") targets/s"
echo "sqlite3 .import:   runs ${base[*]} s; median $m_base s = $(calc %d "$targets / $m_base") targets/s"
echo "ratio (interdict time / baseline time): $(calc %.2f "$m_ours / $m_base")"
echo "registry size after import: $(du -m "$work/reg.db" | cut -f1) MB"
