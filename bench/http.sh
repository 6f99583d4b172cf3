#!/usr/bin/env bash
# HTTP API load figures (issue 5), with wrk against `interdict serve --http-listen` on loopback,
# on a registry of TARGETS generated z-i targets (default 100,000) imported with --scope isp;
# every scenario RUNS times (default 3), interleaved, and the medians reported:
#   A. poll: POLL_CONNS connections (default 1000) polling GET /feeds/isp/snapshot?format=json
#      with If-None-Match: the current ETag; every answer must be 304 (bench/http_poll.lua).
#      (a) paced: each connection waits after each answer (wrk's delay()) so that together they
#          offer POLL_RATE requests/s (default 20,000), as pollers on a timer do;
#      (b) closed loop: the next request as soon as the answer is in (the baseline of (a)).
#   B. snapshot: SNAP_CONNS connections (default 100) fetching the whole document (200).
#   C. ingest: INGEST_CONNS connections (default 4) POSTing /v1/referrals with BATCH new targets
#      a request (default 1,000; 201 expected), against the baseline measured in the same run:
#      `interdict refer --file` of CLI_REFERRALS referrals (default 50) of BATCH new targets.
#      Skipped, and said so, while the route answers 404 or 405 (it is new); the exit status
#      then depends on A and B only.
#   D. A (paced) and C at once: the polls' latency while referrals are written (C's handlers
#      run on the server's worker pool, the polls on its network threads), and the ingestion
#      rate meanwhile. Needs C.
#   bench/http.sh [TARGETS] [RUNS]
# Environment (defaults in brackets):
#   INTERDICT=path    an interdict binary to measure instead of building one (ZI_GENERATE: its
#                     generator [the binary's ../bench/zi_generate]); BUILD_DIR=dir builds there
#                     with the release preset's settings instead of build/release
#   DURATION [10]     seconds of each wrk run          TOKENS [100]  isp tokens, used in turn
#   WRK_THREADS [2]   wrk -t                           HTTP_THREADS [2]  serve --http-threads
#   SERVER_CPUS, WRK_CPUS   taskset -c lists for the server and for wrk [no pinning]
#   SERVE_ARGS        more `interdict serve` options, e.g. "--access-log off"
#   KEEP_WORK=1       keep the temporary directory (registry, logs, wrk output)
# The server runs with --rate 1000000: the default per-token limit (100/s) would answer the
# closed loop with 429s. The limiter still takes a unit for every request.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
targets=${1:-100000}
runs=${2:-3}
duration=${DURATION:-10}
poll_conns=${POLL_CONNS:-1000}
poll_rate=${POLL_RATE:-20000}
snap_conns=${SNAP_CONNS:-100}
ingest_conns=${INGEST_CONNS:-4}
batch=${BATCH:-1000}
cli_referrals=${CLI_REFERRALS:-50}
tokens=${TOKENS:-100}
wrk_threads=${WRK_THREADS:-2}
http_threads=${HTTP_THREADS:-2}
read -r -a serve_extra <<<"${SERVE_ARGS:-}"

# ---- Tools and the binary.
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
if [[ -n ${INTERDICT:-} ]]; then
  src_bin=$INTERDICT
  src_zi=${ZI_GENERATE:-$(dirname "$INTERDICT")/../bench/zi_generate}
  build_note="given binary $INTERDICT"
elif [[ -n ${BUILD_DIR:-} ]]; then
  scripts/deps.sh
  # The release preset's cache variables (CMakePresets.json), in a directory of one's own.
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=g++ \
    -DCMAKE_C_COMPILER=gcc -DINTERDICT_BUILD_TESTS=ON -DINTERDICT_BUILD_BENCH=ON >/dev/null
  cmake --build "$BUILD_DIR" -j2 --target interdict zi_generate >/dev/null
  src_bin=$BUILD_DIR/apps/interdict src_zi=$BUILD_DIR/bench/zi_generate
  build_note="built in $BUILD_DIR (release preset settings: RelWithDebInfo, -O2)"
else
  scripts/deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target interdict zi_generate >/dev/null
  src_bin=$here/build/release/apps/interdict src_zi=$here/build/release/bench/zi_generate
  build_note="release preset (RelWithDebInfo, -O2)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/interdict-http-bench.XXXXXX")
server_pid=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  set +e
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
# Copies: a rebuild elsewhere during the run does not change what is measured.
cp "$src_bin" "$work/interdict"
cp "$src_zi" "$work/zi_generate"
bin=$work/interdict
pin_server=() pin_wrk=()
if [[ -n ${SERVER_CPUS:-} ]]; then pin_server=(taskset -c "$SERVER_CPUS"); fi
if [[ -n ${WRK_CPUS:-} ]]; then pin_wrk=(taskset -c "$WRK_CPUS"); fi
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
calc() { awk "BEGIN {printf \"$1\", $2}"; }
field() { grep -o "\\b$1=[^ ]*" <<<"$2" | head -n1 | cut -d= -f2; }
now_ns() { date +%s%N; }
cli() { INTERDICT_DB=$work/registry.db INTERDICT_ACTOR=bench "$bin" "$@"; }
log() { echo "$*" >&2; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- The registry, its organizations and tokens.
t0=$(now_ns)
"$work/zi_generate" "$targets" >"$work/dump.csv"
cli --bound-pairs 0 --bound-fraction 0 import --format zi-csv --scope isp "$work/dump.csv" >"$work/import.log" 2>&1 ||
  { cat "$work/import.log" >&2; echo "the import failed" >&2; exit 1; }
cli org add --kind isp --name "Bench ISP" >/dev/null
cli org add --kind rightsholder --name "Bench Rights" >/dev/null
: >"$work/tokens.txt"
for ((i = 1; i <= tokens; i++)); do
  cli token create --org "Bench ISP" --role isp --label "bench-$i" 2>/dev/null >>"$work/tokens.txt"
done
rh_token=$(cli token create --org "Bench Rights" --role rightsholder --label bench 2>/dev/null)
isp_token=$(head -n1 "$work/tokens.txt")
log "registry of $targets targets and $tokens isp tokens ready in $(calc %.1f "($(now_ns) - $t0) / 1e9") s"

# ---- The server.
serve_cmd=("$bin" serve --http-listen 127.0.0.1:0 --http-threads "$http_threads" --rate 1000000
  "${serve_extra[@]}")
INTERDICT_DB=$work/registry.db INTERDICT_ACTOR=bench "${pin_server[@]}" "${serve_cmd[@]}" \
  >"$work/serve.out" 2>"$work/serve.log" &
server_pid=$!
port=""
for _ in $(seq 600); do
  port=$(awk '$1 == "http" {print $2}' "$work/serve.out")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $port ]]; then
  tail "$work/serve.log" >&2
  echo "interdict serve did not start" >&2
  exit 1
fi
base=http://127.0.0.1:$port
feed_url="$base/feeds/isp/snapshot?format=json"
auth=(-H "Authorization: Bearer $isp_token")
curl -sf "${auth[@]}" -D "$work/snapshot.head" -o "$work/snapshot.json" "$feed_url"
etag=$(awk 'tolower($1) == "etag:" {print $2}' "$work/snapshot.head" | tr -d '\r')
doc_bytes=$(stat -c %s "$work/snapshot.json")
code=$(curl -s "${auth[@]}" -H "If-None-Match: $etag" -o /dev/null -w '%{http_code}' "$feed_url")
[[ $code == 304 ]] || { echo "a poll with If-None-Match: $etag answered $code, not 304" >&2; exit 1; }
log "serving on $base: feed ETag $etag, snapshot $doc_bytes bytes"

# Does POST /v1/referrals exist? One small referral (a name no run uses) tells.
probe_body='{"category":"torrent","targets":["domain:probe.bench.example"],"evidence":[{"url":"https://probe.bench.example/","observed":"2026-11-20T10:00:00Z","sha256":"'$(printf '5e%.0s' {1..32})'"}]}'
ingest_code=$(curl -s -o "$work/probe.out" -w '%{http_code}' -H "Authorization: Bearer $rh_token" \
  -H 'Content-Type: application/json' --data-binary "$probe_body" "$base/v1/referrals")
case $ingest_code in
  201) ingest=1 ;;
  404 | 405) ingest=0 ingest_note="route not available ($ingest_code)" ;;
  *)
    echo "POST /v1/referrals answered $ingest_code: $(head -c 300 "$work/probe.out")" >&2
    exit 1
    ;;
esac
((ingest)) || log "scenario C over HTTP: SKIPPED, POST /v1/referrals: $ingest_note"

# ---- Measuring.
ticks=$(getconf CLK_TCK)
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
machine_busy() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
# run_wrk NAME ENV... -- WRK-ARGS...: wrk's RESULT line, with the CPU the server, wrk and the
# whole machine used during the run (in cores) appended.
run_wrk() {
  local name=$1 env=()
  shift
  while [[ $1 != -- ]]; do env+=("$1"); shift; done
  shift
  local s0 m0 w0 s1 m1 w1 wcpu
  s0=$(server_ticks) m0=$(machine_busy) w0=$(now_ns)
  wcpu=$( (env "${env[@]}" "${pin_wrk[@]}" wrk "$@" >"$work/$name.out" 2>&1 || true; times) | tail -n1 |
    awk '{gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4}')
  s1=$(server_ticks) m1=$(machine_busy) w1=$(now_ns)
  local line
  line=$(grep '^RESULT' "$work/$name.out") || { cat "$work/$name.out" >&2; return 1; }
  local wall
  wall=$(calc %.6f "($w1 - $w0) / 1e9")
  echo "$line server_cores=$(calc %.2f "($s1 - $s0) / $ticks / $wall")" \
    "wrk_cores=$(calc %.2f "$wcpu / $wall")" \
    "machine_cores=$(calc %.2f "($m1 - $m0) / $ticks / $wall")"
}
wrk_common=(-t "$wrk_threads" -d "${duration}s" --timeout 5s)
pace_env=("HTTP_POLL_RATE=$poll_rate" "HTTP_POLL_CONNS=$poll_conns" "HTTP_POLL_THREADS=$wrk_threads")
poll_args=("${wrk_common[@]}" -c "$poll_conns" -s "$here/bench/http_poll.lua" "$feed_url" --
  "$work/tokens.txt" "$etag")
snap_args=(-t "$wrk_threads" -d "${duration}s" --timeout 30s -c "$snap_conns" -s "$here/bench/http_snapshot.lua" "$feed_url" --
  "$work/tokens.txt")
refer_args=("${wrk_common[@]}" -c "$ingest_conns" -s "$here/bench/http_refer.lua"
  "$base/v1/referrals" -- "$rh_token" "$batch")

# A referrals file of CLI_REFERRALS referrals of BATCH new names for `refer --file`.
cli_file() {
  awk -v n="$cli_referrals" -v b="$batch" -v tag="$1" 'BEGIN {
    printf "{\"referrals\": [\n"
    for (r = 1; r <= n; r++) {
      printf "{\"org\": \"Bench Rights\", \"category\": \"torrent\", \"targets\": ["
      for (i = 1; i <= b; i++) printf "%s\"domain:c%s-r%d-%d.bench.example\"", (i > 1 ? "," : ""), tag, r, i
      printf "], \"evidence\": [{\"url\": \"https://bench.example/\", \"observed\": \"2026-11-20T10:00:00Z\", \"sha256\": \"%s\"}]}%s\n",
        "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e", (r < n ? "," : "")
    }
    printf "]}\n"
  }'
}

declare -A res
record() { res[$1]+="$2"$'\n'; }
failed=0
check_clean() { # NAME LINE WHAT: fails the bench on unexpected statuses; warns on socket errors
  local errs
  errs=$(($(field err_connect "$2") + $(field err_read "$2") + $(field err_write "$2") + $(field err_timeout "$2")))
  if ((errs > 0)); then log "warning: $1: $errs socket errors or timeouts: $2"; fi
  if [[ -n $3 ]]; then
    log "FAILED: $1: $3"
    failed=1
  fi
}

# A warm-up: every token authenticated once, connections opened once.
run_wrk warmup -- -t "$wrk_threads" -d 2s -c "$poll_conns" -s "$here/bench/http_poll.lua" "$feed_url" \
  -- "$work/tokens.txt" "$etag" >/dev/null

for ((r = 1; r <= runs; r++)); do
  now_etag=$(curl -s "${auth[@]}" -I "$feed_url" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
  if [[ $now_etag != "$etag" ]]; then
    echo "the feed moved from ETag $etag to $now_etag during the bench (nothing here changes orders)" >&2
    exit 1
  fi
  line=$(run_wrk poll_paced "${pace_env[@]}" -- "${poll_args[@]}")
  log "run $r A paced:      $line"
  record paced "$line"
  bad=$(field unexpected "$line")
  check_clean "A paced run $r" "$line" "$( ((bad == 0)) || echo "$bad answers were not 304 ($(field unexpected_statuses "$line"))")"

  line=$(run_wrk poll_loop -- "${poll_args[@]}")
  log "run $r A closed loop: $line"
  record loop "$line"
  bad=$(field unexpected "$line")
  check_clean "A closed loop run $r" "$line" "$( ((bad == 0)) || echo "$bad answers were not 304 ($(field unexpected_statuses "$line"))")"

  line=$(run_wrk snapshot -- "${snap_args[@]}")
  log "run $r B snapshot:   $line"
  record snap "$line"
  n=$(field requests "$line")
  why=""
  if (($(field err_status "$line") > 0)); then why="$(field err_status "$line") answers of status 400 or above"; fi
  if ((n == 0)); then why="no answer"; elif (($(field bytes "$line") / n < doc_bytes)); then why="answers shorter than the document ($doc_bytes bytes)"; fi
  check_clean "B snapshot run $r" "$line" "$why"

  if ((ingest)); then
    line=$(run_wrk refer -- "${refer_args[@]}" "$r$RANDOM")
    log "run $r C HTTP:       $line"
    record refer "$line"
    bad=$(field unexpected "$line")
    if ((bad > 0)); then
      log "FAILED: C run $r: $bad answers were not 201 ($(field unexpected_statuses "$line")): $(grep '^FIRST_ERROR' "$work/refer.out" || true)"
      failed=1
    fi
  fi

  if ((ingest)); then
    # D: the paced polls again, with the ingestion of C going on (it starts half a second
    # before and runs as long).
    "${pin_wrk[@]}" wrk "${refer_args[@]}" "d$r$RANDOM" >"$work/refer_bg.out" 2>&1 &
    bg=$!
    sleep 0.5
    line=$(run_wrk poll_mixed "${pace_env[@]}" -- "${poll_args[@]}")
    wait "$bg" || true
    log "run $r D paced+C:    $line"
    record mixed "$line"
    bad=$(field unexpected "$line")
    check_clean "D run $r" "$line" "$( ((bad == 0)) || echo "$bad answers were not 304 ($(field unexpected_statuses "$line"))")"
    line=$(grep '^RESULT' "$work/refer_bg.out") || { cat "$work/refer_bg.out" >&2; exit 1; }
    log "run $r D C part:     $line"
    record mixed_refer "$line"
    bad=$(field unexpected "$line")
    if ((bad > 0)); then
      log "FAILED: D run $r: $bad answers were not 201 ($(field unexpected_statuses "$line"))"
      failed=1
    fi
  fi

  cli_file "$r$RANDOM" >"$work/cli.json"
  s=$(now_ns)
  cli refer --file "$work/cli.json" >/dev/null 2>"$work/cli.err" || { cat "$work/cli.err" >&2; exit 1; }
  secs=$(calc %.6f "($(now_ns) - $s) / 1e9")
  line="seconds=$secs targets_per_s=$(calc %.0f "$cli_referrals * $batch / $secs")"
  log "run $r C CLI:        $line"
  record cli "$line"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- Report.
med() { printf '%s' "${res[$1]:-}" | while read -r l; do [[ -n $l ]] && field "$2" "$l"; done | median; }
fmt() { if [[ $2 == - ]]; then echo -; else calc "$1" "$2"; fi; }
row() { # LABEL KEY CONNS OFFERED
  printf '| %-30s | %5s | %8s | %9s | %7s | %7s | %7s | %8s | %22s |\n' "$1" "$3" "$4" \
    "$(fmt %.0f "$(med "$2" rps)")" "$(fmt %.1f "$(med "$2" mbps)")" "$(fmt %.2f "$(med "$2" p50_ms)")" \
    "$(fmt %.2f "$(med "$2" p99_ms)")" "$(fmt %.1f "$(med "$2" max_ms)")" \
    "$(med "$2" server_cores) / $(med "$2" wrk_cores) / $(med "$2" machine_cores)"
}
# MB/s of the poll scenarios: from bytes and seconds.
for k in paced loop mixed; do
  out=""
  while read -r l; do
    [[ -n $l ]] || continue
    out+="$l mbps=$(calc %.2f "$(field bytes "$l") / $(field seconds "$l") / 1e6")"$'\n'
  done <<<"${res[$k]:-}"
  res[$k]=$out
done

echo
echo "## HTTP API: $targets z-i targets, snapshot $doc_bytes bytes (json), medians of $runs runs of ${duration} s"
echo
echo "| scenario                       | conns | offered  |     req/s |    MB/s | p50 ms  | p99 ms  |   max ms | CPU server / wrk / all |"
echo "|--------------------------------|------:|---------:|----------:|--------:|--------:|--------:|---------:|------------------------:|"
row "A poll, paced (304)" paced "$poll_conns" "$poll_rate/s"
row "A poll, closed loop (304)" loop "$poll_conns" "-"
row "B snapshot (200)" snap "$snap_conns" "-"
if ((ingest)); then
  row "D = A paced, during C ingest" mixed "$poll_conns" "$poll_rate/s"
fi
echo
p_paced=$(med paced p99_ms) p_loop=$(med loop p99_ms)
r_paced=$(med paced rps) r_loop=$(med loop rps)
echo "closed loop against paced (the baseline): throughput $(calc %.2f "$r_loop / $r_paced")x," \
  "p99 $(calc %.1f "$p_loop / $p_paced")x; paced achieved $(calc %.1f "100 * $r_paced / $poll_rate") %" \
  "of the offered $poll_rate req/s"
if awk -v r="$r_paced" -v p="$p_paced" -v o="$poll_rate" 'BEGIN {exit !(r >= 0.98 * o && o >= 20000 && p < 20)}'; then
  echo "goal (>= 20,000 conditional polls/s, p99 < 20 ms): met"
else
  echo "goal (>= 20,000 conditional polls/s, p99 < 20 ms): not met (paced: $(calc %.0f "$r_paced") req/s, p99 $p_paced ms)"
fi
echo
printf '| %-49s | requests/s | targets/s | p50 ms | p99 ms | vs CLI |\n' "ingestion, $batch new targets a referral"
echo "|---------------------------------------------------|-----------:|----------:|-------:|-------:|-------:|"
cli_tps=$(med cli targets_per_s)
if ((ingest)); then
  http_tps=$(med refer targets_per_s)
  printf '| %-49s | %10s | %9s | %6s | %6s | %5sx |\n' "POST /v1/referrals, $ingest_conns connections" \
    "$(fmt %.1f "$(med refer rps)")" "$(fmt %.0f "$http_tps")" "$(fmt %.1f "$(med refer p50_ms)")" \
    "$(fmt %.1f "$(med refer p99_ms)")" "$(calc %.2f "$http_tps / $cli_tps")"
  printf '| %-49s | %10s | %9s | %6s | %6s | %5sx |\n' "POST /v1/referrals during A paced (D)" \
    "$(fmt %.1f "$(med mixed_refer rps)")" "$(fmt %.0f "$(med mixed_refer targets_per_s)")" \
    "$(fmt %.1f "$(med mixed_refer p50_ms)")" "$(fmt %.1f "$(med mixed_refer p99_ms)")" \
    "$(calc %.2f "$(med mixed_refer targets_per_s) / $cli_tps")"
else
  printf '| %-49s | SKIPPED: %s |\n' "POST /v1/referrals (C and D)" "$ingest_note"
fi
printf '| %-49s | %10s | %9s | %6s | %6s | %5sx |\n' \
  "refer --file, $cli_referrals referrals, one process (baseline)" "-" "$(fmt %.0f "$cli_tps")" "-" "-" "1.00"
echo
echo "Commands (the token file holds $tokens isp tokens; wrk is given the ETag of the feed):"
echo "  INTERDICT_DB=registry.db ${pin_server[*]}${pin_server:+ }interdict serve ${serve_cmd[*]:2}"
echo "  A: ${pace_env[*]} ${pin_wrk[*]}${pin_wrk:+ }wrk ${poll_args[*]}"
echo "     (closed loop: the same without the HTTP_POLL_ variables)"
echo "  B: ${pin_wrk[*]}${pin_wrk:+ }wrk ${snap_args[*]}"
echo "  C: ${pin_wrk[*]}${pin_wrk:+ }wrk ${refer_args[*]/#"$rh_token"/RIGHTSHOLDER_TOKEN} NONCE"
echo "  D: C and A paced at once, C started 0.5 s before"
echo "     interdict refer --file referrals.json   ($cli_referrals referrals of $batch new domain targets, one evidence item each)"
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), Linux $(uname -r);" \
  "$(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2); interdict $build_note."
echo "Load average (1, 5, 15 min) before: $load_before; after: $load_after." \
  "Server pinned: ${SERVER_CPUS:-no}; wrk pinned: ${WRK_CPUS:-no}; wrk threads $wrk_threads; serve --http-threads $http_threads."
echo "CPU columns: cores used during the runs by the server, by wrk, and by the whole machine (other processes included)."
exit "$failed"
