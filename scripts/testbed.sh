#!/usr/bin/env bash
# The compliance testbed of issue 7 by hand (docs/testbed.md): an origin, six ISPs enforcing the
# registry's order in six ways, a vantage behind each with a control uplink, all in network
# namespaces idt-tb-* on this machine (root).
#
#   scripts/testbed.sh up INTERDICT_BINARY [GENERATED_SITES]   build it; servers keep running
#   scripts/testbed.sh status                                   namespaces, processes, addresses
#   scripts/testbed.sh truth [VANTAGE...]                       dig + curl ground truth of the table
#                                                               (TB_EXPECTATIONS: another table)
#   scripts/testbed.sh probe VANTAGE [AUDIT RUN ARGS...]        `interdict audit run` from a vantage
#                                                               (default: the table's targets)
#   scripts/testbed.sh exec VANTAGE|isp-KIND|inet|origin CMD... run a command in a namespace
#   scripts/testbed.sh down                                     stop everything, delete it all
#
# State lives in $TB_DIR (default /tmp/idt-testbed); TB_PREFIX changes the namespace prefix.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export TB_DIR=${TB_DIR:-/tmp/idt-testbed}
if [[ -f $TB_DIR/env ]]; then
  # shellcheck disable=SC1091
  source "$TB_DIR/env"
fi
source "$here/../tests/probe/testbed_lib.sh"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
cmd=${1:-}
shift || true
case $cmd in
  up)
    TB_BIN=${1:?usage: testbed.sh up INTERDICT_BINARY [GENERATED_SITES]}
    TB_GEN=${2:-0}
    TB_DETACH=1  # the servers outlive this script
    export TB_GEN TB_DETACH
    if [[ -f $TB_DIR/env ]]; then
      echo "a testbed is up already (state in $TB_DIR): scripts/testbed.sh down first" >&2
      exit 1
    fi
    if ! tb_up; then
      if [[ ${TB_KEEP:-0} == 1 ]]; then
        echo "testbed.sh up failed; left up for inspection (TB_KEEP=1): scripts/testbed.sh down" >&2
      else
        echo "testbed.sh up failed; tearing down" >&2
        tb_down
      fi
      exit 1
    fi
    tb_status
    ;;
  status)
    [[ -f $TB_DIR/env ]] || echo "no testbed state in $TB_DIR" >&2
    tb_status
    ;;
  truth)
    [[ -f $TB_DIR/env ]] || { echo "no testbed is up" >&2; exit 1; }
    # The fixtures' table, or TB_EXPECTATIONS (say $TB_DIR/gen/expectations.tsv of a testbed
    # brought up with generated sites).
    exp=${TB_EXPECTATIONS:-$TB_FIXTURES/expectations.tsv}
    TB_VERBOSE=1 tb_truth_all "$exp" "$@"
    ;;
  probe)
    [[ -f $TB_DIR/env ]] || { echo "no testbed is up" >&2; exit 1; }
    v=${1:?usage: testbed.sh probe VANTAGE [ARGS...]}
    shift
    [[ -n ${TB_K[$v]:-} ]] || { echo "unknown vantage $v (${TB_ISPS[*]})" >&2; exit 2; }
    tb_probe_available || { echo "probe not built: $TB_BIN has no 'audit run'" >&2; exit 1; }
    out=$TB_DIR/probe-$v.jsonl
    if (($# == 0)); then
      tb_targets_for "$TB_FIXTURES/expectations.tsv" "$v" "$TB_DIR/targets-$v.txt"
      set -- --targets "$TB_DIR/targets-$v.txt"
    fi
    tb_probe_vantage "$v" "$out" "$TB_DIR/probe-$v.summary" "$@"
    rc=$?
    cat "$TB_DIR/probe-$v.summary"
    echo "results: $out" >&2
    if [[ -f $TB_DIR/targets-$v.txt && $* == "--targets $TB_DIR/targets-$v.txt" ]]; then
      "$TB_PY" "$here/../tests/probe/verdicts.py" compare "$TB_FIXTURES/expectations.tsv" "$v" "$out" || rc=1
    fi
    exit $rc
    ;;
  exec)
    ns=${1:?usage: testbed.sh exec NAMESPACE CMD...}
    shift
    [[ -n ${TB_K[$ns]:-} ]] && ns=v-$ns
    tb_in "$ns" "$@"
    ;;
  down)
    tb_down
    echo "testbed down"
    ;;
  *) usage ;;
esac
