#!/usr/bin/env bash
# Probe throughput on the compliance testbed (issue 7; docs/testbed.md): the testbed with TARGETS
# generated sites (default 10,000; a quarter blocked by name, a quarter by address, half in no
# order), then `interdict audit run` over all of them from each of the six vantages, RUNS times
# (default 3). Reports, per vantage, the median targets per minute (the probe's own
# targets_per_minute) and the misclassifications against the generated table (the most of any
# run). Goal: >= 10,000 targets/min with 0 misclassifications.
#   bench/probe.sh [TARGETS] [RUNS]
# INTERDICT_BIN chooses the binary (default: build the release preset). PROBE_CONCURRENCY (256),
# PROBE_RATE (0: unlimited) and PROBE_TIMEOUT (2 s) are passed to the probe; VANTAGES (default
# all) chooses vantages; SAMPLE (20) rows per vantage are checked against the ground truth first.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
here=$PWD
count=${1:-10000}
runs=${2:-3}
if [[ -z ${INTERDICT_BIN:-} ]]; then
  scripts/deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target interdict >/dev/null || exit 1
  INTERDICT_BIN=$here/build/release/apps/interdict
fi
export TB_BIN=$INTERDICT_BIN TB_GEN=$count TB_PREFIX=idt-tb-b$$-
TB_DIR=$(mktemp -d /tmp/idt-testbed-bench.XXXXXX)
export TB_DIR
source tests/probe/testbed_lib.sh
trap tb_down EXIT
trap 'exit 130' INT TERM
read -r -a vantages <<<"${VANTAGES:-${TB_ISPS[*]}}"
concurrency=${PROBE_CONCURRENCY:-256}
rate=${PROBE_RATE:-0}
timeout=${PROBE_TIMEOUT:-2}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

if ! tb_probe_available; then
  echo "probe not built: $TB_BIN has no 'audit run'" >&2
  exit 1
fi
t0=$SECONDS
tb_up || { echo "the testbed did not come up" >&2; exit 1; }
echo "testbed with $count generated sites up in $((SECONDS - t0)) s"
exp=$TB_DIR/gen/expectations.tsv

# A sample of the generated table against dig and curl, so that a fast wrong testbed cannot pass.
sample=$TB_DIR/sample.tsv
for v in "${vantages[@]}"; do
  awk -F'\t' -v v="$v" -v n="${SAMPLE:-20}" '$1 == v && c++ < n' "$exp"
done >"$sample"
tb_truth_all "$sample" "${vantages[@]}" || { echo "the generated testbed is not what its table says" >&2; exit 1; }

printf '\n%-6s %8s %14s %16s  %s\n' vantage targets "targets/min" "misclassified" "runs (targets/min)"
worst=0
for v in "${vantages[@]}"; do
  tb_targets_for "$exp" "$v" "$TB_DIR/targets-$v.txt"
  tpm=() bad_max=0
  for r in $(seq "$runs"); do
    out=$TB_DIR/bench-$v-$r.jsonl
    if ! tb_probe_vantage "$v" "$out" "$out.summary" --targets "$TB_DIR/targets-$v.txt" \
      --concurrency "$concurrency" --rate "$rate" --timeout "$timeout"; then
      echo "$v run $r: audit run failed: $(head -c 400 "$out.summary")" >&2
      exit 1
    fi
    tpm+=("$("$TB_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets_per_minute"])' "$out.summary")")
    line=$("$TB_PY" tests/probe/verdicts.py compare "$exp" "$v" "$out" 2>"$out.mismatches" | tail -1)
    bad=$(awk '{print $(NF-1)}' <<<"$line")
    ((bad > bad_max)) && bad_max=$bad
    if ((bad > 0)); then
      echo "$v run $r: $bad misclassified, for example:" >&2
      head -n 6 "$out.mismatches" >&2
    fi
  done
  ((bad_max > worst)) && worst=$bad_max
  printf '%-6s %8s %14.0f %16s  %s\n' "$v" "$count" "$(printf '%s\n' "${tpm[@]}" | median)" "$bad_max" "${tpm[*]}"
done
echo
echo "probe flags: --concurrency $concurrency --rate $rate --timeout $timeout; $(nproc) cores; total $((SECONDS - t0)) s"
((worst == 0))
