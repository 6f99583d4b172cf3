#!/usr/bin/env bash
# The compliance testbed end to end (issue 7): builds the testbed in network namespaces of its
# own (tests/probe/testbed_lib.sh, docs/testbed.md), checks every row of expectations.tsv against
# the ground truth (dig and curl from each vantage, through the ISP and through the control
# uplink), then runs the probe (`interdict audit run`) from each vantage and requires every
# verdict to be the table's: from the table's targets, and from the registry's feed. Everything
# is torn down on exit. Root only; no packet leaves the namespaces it creates.
#   testbed_test.sh INTERDICT_BINARY
set -uo pipefail
bin=${1:?usage: testbed_test.sh INTERDICT_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
export TB_BIN=$bin
export TB_PREFIX=idt-tb-t$$-
TB_DIR=$(mktemp -d /tmp/idt-testbed-test.XXXXXX)
export TB_DIR
source "$here/testbed_lib.sh"
trap tb_down EXIT
trap 'exit 130' INT TERM
t0=$SECONDS
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
exp=$here/expectations.tsv

echo "== testbed up"
tb_up || { echo "FAIL: the testbed did not come up" >&2; exit 1; }
up_s=$((SECONDS - t0))

echo "== the test CA: the origin verifies, an ISP's block page does not"
out=$(tb_in v-none curl -sS --cacert "$TB_DIR/pki/ca.pem" --resolve open.test:443:10.78.0.1 \
  https://open.test/ 2>&1)
[[ $out == "$TB_MARK_ORIGIN open.test /"* ]] || fail "https://open.test/ with the test CA: '$out'"
out=$(tb_in v-page curl -sS -o /dev/null --cacert "$TB_DIR/pki/ca.pem" --resolve pirate.test:443:10.78.0.3 \
  https://pirate.test/ 2>&1)
(($? == 60)) || fail "the page ISP's block page verified with the test CA: '$out'"

echo "== the control uplink bypasses the ISP"
for v in "${TB_ISPS[@]}"; do
  got=$(tb_in "v-$v" ip route get 10.78.0.1 from "$(tb_control_source "$v")" | head -1)
  [[ $got == *" dev ctl "* ]] || fail "$v: control traffic does not take the control uplink: $got"
  got=$(tb_in "v-$v" ip route get 10.78.0.1 | head -1)
  [[ $got == *" dev isp "* ]] || fail "$v: default traffic does not go through the ISP: $got"
done

echo "== ground truth (dig and curl) for every row of $(basename "$exp")"
t1=$SECONDS
tb_truth_all "$exp" || failures=$((failures + 1))
truth_s=$((SECONDS - t1))

echo "== the probe"
if ! tb_probe_available; then
  echo "probe not built: ground truth only ($bin has no 'audit run'); this is not a pass" >&2
  echo "testbed up ${up_s}s, ground truth ${truth_s}s, total $((SECONDS - t0))s; $failures failures"
  exit 1
fi
auditor=$(tb_token auditor)
# The feed's targets (order.txt and late.test), as the auditor reads them.
feed_targets=$(tb_in inet curl -fsS -H "Authorization: Bearer $auditor" \
  "http://$TB_API:8080/feeds/isp/snapshot?format=json" |
  "$TB_PY" -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
# Results are submitted (and the compliance report read back) once the registry has the audit
# routes (contract section 3); until then the feed runs measure only (--no-submit).
submit=0
code=$(tb_in inet curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $auditor" \
  "http://$TB_API:8080/v1/audit/runs")
[[ $code == 200 ]] && submit=1
echo "audit routes: GET /v1/audit/runs answers $code, results $( ((submit)) && echo submitted || echo not submitted)"
for v in "${TB_ISPS[@]}"; do
  # From the table's targets: every row must have its verdict.
  tb_targets_for "$exp" "$v" "$TB_DIR/targets-$v.txt"
  tb_probe_vantage "$v" "$TB_DIR/probe-$v.jsonl" "$TB_DIR/probe-$v.json" \
    --targets "$TB_DIR/targets-$v.txt" --timeout 2 --concurrency 32
  rc=$?
  if ((rc != 0)); then
    fail "$v: audit run --targets exited $rc: $(head -c 600 "$TB_DIR/probe-$v.json")"
    continue
  fi
  "$TB_PY" "$here/verdicts.py" summary "$TB_DIR/probe-$v.json" || fail "$v: the summary is not the contract's JSON"
  "$TB_PY" "$here/verdicts.py" compare "$exp" "$v" "$TB_DIR/probe-$v.jsonl" || fail "$v: verdicts differ from the table"
  # From the registry's feed (the auditor's token): the order's targets, each in the table.
  args=(--registry "http://$TB_API:8080" --token "$auditor" --timeout 2 --concurrency 32)
  ((submit)) || args+=(--no-submit)
  tb_probe_vantage "$v" "$TB_DIR/feed-$v.jsonl" "$TB_DIR/feed-$v.json" "${args[@]}"
  rc=$?
  if ((rc != 0)); then
    fail "$v: audit run --registry exited $rc: $(head -c 600 "$TB_DIR/feed-$v.json")"
    continue
  fi
  n=$(grep -c . "$TB_DIR/feed-$v.jsonl")
  [[ $n == "$feed_targets" ]] || fail "$v: $n results from the feed, which has $feed_targets targets"
  "$TB_PY" "$here/verdicts.py" compare "$exp" "$v" "$TB_DIR/feed-$v.jsonl" --subset ||
    fail "$v: verdicts from the feed differ from the table"
  if ((submit)); then
    code=$(tb_in "v-$v" curl -s -o "$TB_DIR/report-$v.json" -w '%{http_code}' \
      -H "Authorization: Bearer $auditor" "http://$TB_API:8080/v1/audit/report?isp=isp-$v")
    [[ $code == 200 ]] || fail "$v: GET /v1/audit/report?isp=isp-$v answered $code"
    # Loosely: every verdict the feed run measured is counted in the ISP's report.
    for verdict in $("$TB_PY" -c 'import json,sys; print(" ".join(sorted({json.loads(l)["verdict"] for l in open(sys.argv[1]) if l.strip()})))' "$TB_DIR/feed-$v.jsonl"); do
      grep -q "\"$verdict\"" "$TB_DIR/report-$v.json" || fail "$v: the report does not count $verdict: $(head -c 300 "$TB_DIR/report-$v.json")"
    done
  fi
done

echo "testbed up ${up_s}s, ground truth ${truth_s}s, total $((SECONDS - t0))s"
if ((failures > 0)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "testbed: every verdict from every vantage as the table says"
