#!/usr/bin/env bash
# Crash test: kill -9 a large import at random moments, many times. After every kill the registry
# must open, pass SQLite's integrity and foreign-key checks, hold no order without targets (no
# half order), keep its in-force log consistent with the in-force set, and never have a serial
# lower than before. Imports that are not killed must land whole.
#   crash_test.sh INTERDICT_BINARY ZI_GENERATE [KILLS] [TARGETS]
source "$(dirname "$0")/lib.sh"
bin=$1
gen=$2
kills=${3:-25}
targets=${4:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/registry.db
export INTERDICT_ACTOR=crash-test

sql() { sqlite3 -batch -noheader "$db" "$1"; }

check_registry() {  # check_registry WHEN
  local when=$1
  expect_exit 0 -- "$bin" --db "$db" summary || return
  expect_eq "$when: integrity_check" "$(sql 'PRAGMA integrity_check')" ok
  expect_eq "$when: foreign_key_check" "$(sql 'PRAGMA foreign_key_check')" ""
  expect_eq "$when: orders without targets" \
    "$(sql 'SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_targets t WHERE t.order_id = o.id)')" 0
  expect_eq "$when: orders without an audit entry" \
    "$(sql "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.entity = 'order' AND a.entity_id = o.id)")" 0
  # The log replayed (adds minus removes per pair) must give exactly the in-force set (the
  # targets of in-force orders, but those lifted on appeal).
  expect_eq "$when: in-force log matches the in-force set" \
    "$(sql "SELECT COUNT(*) FROM (SELECT target_id, order_id, SUM(CASE op WHEN 'add' THEN 1 ELSE -1 END) AS n FROM inforce_log GROUP BY 1, 2) WHERE n <> 0")" \
    "$(sql "SELECT COUNT(*) FROM order_targets ot JOIN orders o ON o.id = ot.order_id WHERE o.state = 'in-force' AND ot.lifted_at IS NULL")"
  local serial
  serial=$(sql 'SELECT COALESCE(MAX(serial), 0) FROM serials')
  checks=$((checks + 1))
  ((serial >= last_serial)) || fail "$when: serial went back from $last_serial to $serial"
  last_serial=$serial
}

"$gen" "$targets" 1 >"$tmp/a.csv"
"$gen" "$targets" 2 >"$tmp/b.csv"
"$bin" --db "$db" init >/dev/null
last_serial=0

# How long does one import take here? Kill moments are drawn from one and a half times that.
start=$(date +%s%N)
expect_exit 0 -- "$bin" --bound-pairs 0 --bound-fraction 0 --db "$tmp/timing.db" import --format zi-csv "$tmp/a.csv"
span_ms=$((($(date +%s%N) - start) / 1000000))
echo "one import of $targets targets takes ${span_ms} ms here; killing $kills times"

killed=0
landed=0
for ((i = 1; i <= kills; i++)); do
  file=$tmp/a.csv
  ((i % 2 == 0)) && file=$tmp/b.csv
  # Some workflow steps between imports, so there is more than one kind of transaction to cut.
  "$bin" --db "$db" order create --body "Court $i" --ref "R-$i" --expires 2099-01-01 \
    --category torrent --target "site$i.example" --target "url:http://site$i.example/x/*" >/dev/null ||
    fail "order create $i"
  "$bin" --bound-pairs 0 --bound-fraction 0 --db "$db" import --format zi-csv "$file" >/dev/null 2>&1 &
  pid=$!
  delay_ms=$((RANDOM % (span_ms * 3 / 2 + 1)))  # a third of the draws let it land
  sleep "$(printf '0.%03d' $((delay_ms % 1000)))"
  sleep $((delay_ms / 1000))
  if kill -9 "$pid" 2>/dev/null; then
    killed=$((killed + 1))
  fi
  wait "$pid" 2>/dev/null
  status=$?
  ((status == 0)) && landed=$((landed + 1))
  check_registry "kill $i after ${delay_ms} ms"
done
echo "$killed imports killed, $landed landed"
# Both files imported whole at the end, whatever happened before.
for file in "$tmp/a.csv" "$tmp/b.csv"; do
  expect_exit 0 -- "$bin" --bound-pairs 0 --bound-fraction 0 --db "$db" import --format zi-csv "$file"
done
check_registry "final"
want=$(sql "SELECT COUNT(*) FROM order_targets")
expect_eq "every target of both files is attached" "$((want >= 2 * targets * 9 / 10))" 1
checks=$((checks + 1))
((killed > 0)) || fail "no import was killed: the test did not test anything"
finish
