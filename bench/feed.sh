#!/usr/bin/env bash
# Feed benchmarks (issue 4), in a network namespace of their own (loopback only), medians of
# RUNS runs (default 5):
#   1. propagation: an order created with the CLI until Unbound, a secondary told by NOTIFY,
#      answers NXDOMAIN for a name under it: p50 and p99 over ORDERS orders (default 100), on a
#      small registry;
#   2. AXFR of the `isp` zone of a registry with TARGETS imported z-i targets (default 1,000,000)
#      into kdig, from `interdict serve`, against BIND 9 serving the same zone file (written by
#      `export --view isp --format rpz`) in the same run;
#   3. IXFR of 1,000 added triggers into kdig, on that registry;
#   4. the time Unbound takes to transfer and load that zone;
#   5. propagation as in 1, on that registry, into that Unbound (ORDERS / 5 orders).
#   bench/feed.sh [TARGETS] [RUNS] [ORDERS]
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
if [[ -z ${FEED_BENCH_IN_NETNS:-} ]]; then
  scripts/deps.sh
  source tests/resolvers/lib.sh
  resolvers_install
  cmake --preset release >/dev/null
  cmake --build --preset release --target interdict zi_generate >/dev/null
  exec unshare --net env FEED_BENCH_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
source tests/resolvers/lib.sh
targets=${1:-1000000}
runs=${2:-5}
orders=${3:-100}
bin=$here/build/release/apps/interdict
res_init
work=$RES_TMP
trap 'set +e; stop_all' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print a[i]}'; }
seconds() {
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null 2>&1
  e=$(date +%s%N)
  awk -v a="$s" -v b="$e" 'BEGIN {printf "%.3f", (b - a) / 1e9}'
}
cli() { INTERDICT_DB=$DB INTERDICT_ACTOR=bench "$bin" "$@"; }
soa_serial() { kdig @127.0.0.1 -p "$1" SOA "$2" +short +time=2 +retry=0 | awk '{print $3}'; }

# serve_start NAME ZONE [ARGS...]: interdict serve on a free port; sets SERVE_PORT.
serve_start() {
  local name=$1 zone=$2
  shift 2
  SERVE_PORT=$(free_port)
  res_spawn "$name" "$work/$name.log" env INTERDICT_DB="$DB" "$bin" serve \
    --dns-listen "127.0.0.1:$SERVE_PORT" --zone "isp=$zone" "$@"
  local i
  for i in $(seq 1200); do
    [[ -n $(soa_serial "$SERVE_PORT" "$zone" 2>/dev/null) ]] && return 0
    sleep 0.1
  done
  tail "$work/$name.log" >&2
  return 1
}

# ---- 1. Propagation on a small registry, Unbound as the secondary.
DB=$work/small.db
zone=rpz.prop.
start_answerer
RES_PORT[unbound]=$(free_port)
serve_start serve_small "$zone" --notify "127.0.0.1:${RES_PORT[unbound]}"
start_unbound 127.0.0.1 "$SERVE_PORT" "$zone"
lat=()
for ((i = 1; i <= orders; i++)); do
  name="x.p$i.test"
  [[ $(q "${RES_PORT[unbound]}" "$name") == NOERROR* ]] || { echo "$name is not answered before its order" >&2; exit 1; }
  s=$(date +%s%N)
  cli order create --body Bench --ref "PROP-$i" --expires 2099-01-01 --scope isp \
    --category torrent --target "*.p$i.test" >/dev/null
  until [[ $(q "${RES_PORT[unbound]}" "y.p$i.test") == NXDOMAIN ]]; do
    (($(date +%s%N) - s > 10000000000)) && { echo "order $i not enforced in 10 s" >&2; exit 1; }
  done
  lat+=($((($(date +%s%N) - s) / 1000000)))
done
echo "propagation, $orders orders (CLI order create -> NOTIFY -> IXFR -> Unbound NXDOMAIN): p50 $(printf '%s\n' "${lat[@]}" | pct 50) ms, p99 $(printf '%s\n' "${lat[@]}" | pct 99) ms, max $(printf '%s\n' "${lat[@]}" | pct 100) ms"
res_stop unbound
res_stop serve_small

# ---- 2. AXFR of a large zone.
DB=$work/large.db
zone=rpz.bench.
"$here/build/release/bench/zi_generate" "$targets" >"$work/dump.csv"
cli --bound-pairs 0 --bound-fraction 0 import --format zi-csv --scope isp "$work/dump.csv" >/dev/null 2>&1
cli export --view isp --format rpz --zone "$zone" -o "$work/zone.rpz" >/dev/null 2>&1
records=$(grep -c ' CNAME ' "$work/zone.rpz" || true)
echo "zone of $targets imported targets: $records triggers" >&2
t0=$(now_ms)
RES_PORT[unbound_large]=$(free_port)
serve_start serve_large "$zone" --notify "127.0.0.1:${RES_PORT[unbound_large]}"
echo "interdict serve: loaded and serving in $(($(now_ms) - t0)) ms" >&2
port=$SERVE_PORT

bport=$(free_port)
mkdir -p "$work/named"
cat >"$work/named/named.conf" <<EOF
options { directory "$work/named"; listen-on port $bport { 127.0.0.1; }; listen-on-v6 { none; };
  pid-file "$work/named/named.pid"; allow-transfer { 127.0.0.0/8; }; recursion no;
  dnssec-validation no; };
zone "$zone" { type primary; file "$work/zone.rpz"; };
EOF
res_spawn named "$work/named/log" named -f -c "$work/named/named.conf" -n 1
for _ in $(seq 1200); do [[ -n $(soa_serial "$bport" "$zone" 2>/dev/null) ]] && break; sleep 0.1; done

axfr_count() { kdig @127.0.0.1 -p "$1" AXFR "$zone" +nostats 2>/dev/null | grep -cP '\tCNAME\t' || true; }
[[ $(axfr_count "$port") == "$records" ]] || { echo "interdict AXFR record count differs" >&2; exit 1; }
[[ $(axfr_count "$bport") == "$records" ]] || { echo "BIND AXFR record count differs" >&2; exit 1; }
ours=() base=()
for ((i = 0; i < runs; i++)); do
  ours+=("$(seconds kdig @127.0.0.1 -p "$port" AXFR "$zone")")
  base+=("$(seconds kdig @127.0.0.1 -p "$bport" AXFR "$zone")")
done
o=$(printf '%s\n' "${ours[@]}" | median)
b=$(printf '%s\n' "${base[@]}" | median)
echo "AXFR of $records triggers into kdig: interdict $o s, BIND $b s (medians of $runs; interdict/BIND $(awk -v a="$o" -v b="$b" 'BEGIN{printf "%.2f", a/b}'))"

# ---- 3. IXFR of 1,000 added triggers.
serial=$(soa_serial "$port" "$zone")
args=()
for i in $(seq 1000); do args+=(--target "ixfr-$i.bench-added.example"); done
t0=$(now_ms)
cli order create --body Bench --ref IXFR-1 --expires 2099-01-01 --scope isp --category torrent "${args[@]}" >/dev/null
until [[ $(soa_serial "$port" "$zone") != "$serial" ]]; do
  (($(now_ms) - t0 > 120000)) && { echo "the order did not reach the zone in 2 min" >&2; exit 1; }
  sleep 0.01
done
echo "an order of 1000 names on the large registry reached its zone in $(($(now_ms) - t0)) ms (order create to new SOA serial)"
n=$(kdig @127.0.0.1 -p "$port" "IXFR=$serial" "$zone" +nostats | grep -cP '\tCNAME\t' || true)
[[ $n == 1000 ]] || { echo "IXFR carried $n triggers, not 1000" >&2; exit 1; }
ixfr=()
for ((i = 0; i < runs; i++)); do ixfr+=("$(seconds kdig @127.0.0.1 -p "$port" "IXFR=$serial" "$zone")"); done
echo "IXFR of 1000 added triggers into kdig: $(printf '%s\n' "${ixfr[@]}" | median) s (median of $runs)"

# ---- 4. Unbound transferring and loading the large zone.
# (awk reads the file itself: a `head` closing a pipe would fail the pipeline under pipefail)
probe=$(awk '$2 == "CNAME" && $1 !~ /^[*]/ && $1 !~ /rpz-ip/ { print $1; exit }' "$work/zone.rpz")
probe=${probe%".$zone"}
t0=$(now_ms)
INSTANCE=unbound_large start_unbound 127.0.0.1 "$port" "$zone"
until [[ $(q "${RES_PORT[unbound_large]}" "$probe") == NXDOMAIN ]]; do
  (($(now_ms) - t0 > 600000)) && { echo "Unbound did not load the zone in 10 min" >&2; exit 1; }
  sleep 0.2
done
echo "Unbound: started, transferred and loaded $records triggers in $(($(now_ms) - t0)) ms"

# ---- 5. Propagation on the large registry: Unbound holds the large zone as a secondary. Both
# the moment the new serial is on our server and the moment Unbound enforces the order count.
big=$((orders / 5 > 0 ? orders / 5 : 1))
lat=() ours=()
for ((i = 1; i <= big; i++)); do
  name="x.big$i.test"
  [[ $(q "${RES_PORT[unbound_large]}" "$name") == NOERROR* ]] || { echo "$name is not answered before its order" >&2; exit 1; }
  serial=$(soa_serial "$port" "$zone")
  s=$(date +%s%N)
  cli order create --body Bench --ref "BIG-$i" --expires 2099-01-01 --scope isp \
    --category torrent --target "*.big$i.test" >/dev/null
  t_zone=""
  until [[ $(q "${RES_PORT[unbound_large]}" "y.big$i.test") == NXDOMAIN ]]; do
    if [[ -z $t_zone && $(soa_serial "$port" "$zone") != "$serial" ]]; then
      t_zone=$((($(date +%s%N) - s) / 1000000))
    fi
    (($(date +%s%N) - s > 30000000000)) && { echo "order $i not enforced in 30 s" >&2; exit 1; }
  done
  lat+=($((($(date +%s%N) - s) / 1000000)))
  ours+=("${t_zone:-${lat[-1]}}")
done
stats() { printf '%s\n' "$@" | pct 50 | tr '\n' ' '; printf '/ '; printf '%s\n' "$@" | pct 99 | tr '\n' ' '; printf '/ '; printf '%s\n' "$@" | pct 100; }
echo "propagation on the large registry ($records triggers), $big orders, p50 / p99 / max: to our zone's new serial $(stats "${ours[@]}") ms; until Unbound answers NXDOMAIN $(stats "${lat[@]}") ms"
exit 0
