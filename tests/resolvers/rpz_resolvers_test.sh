#!/usr/bin/env bash
# RPZ feeds on four real resolvers: Unbound, BIND, PowerDNS Recursor and Knot Resolver (through a
# Knot DNS secondary that writes its RPZ file) take the RPZ zone from a primary, and enforce an
# order (NXDOMAIN for a name and its subdomains) and its lifting within a bounded time.
#   rpz_resolvers_test.sh PRIMARY_KIND      (bind: the stand-in; interdict: primary_interdict.sh)
# Runs as root in a network namespace of its own (only a loopback: nothing can leave the machine),
# after installing the resolvers if missing. Env: RES_TIMEOUT (10 s per wait), ROUNDS (5 timed
# changes), ANSWER_TTL (5 s), RES_KEEP=1 keeps the temp dir with every config and log,
# RESOLVERS_NO_NETNS=1 runs in the current namespace (loopback addresses only, all the same).
here=$(cd "$(dirname "$0")" && pwd)
kind=${1:?usage: rpz_resolvers_test.sh PRIMARY_KIND (bind|interdict)}
# shellcheck source=lib.sh
source "$here/lib.sh"

if [[ -z ${RESOLVERS_IN_NETNS:-} ]]; then
  resolvers_install || exit 1
  if [[ ${RESOLVERS_NO_NETNS:-0} != 1 ]]; then
    exec unshare --net env RESOLVERS_IN_NETNS=1 bash "$0" "$@"
    echo "FAIL: unshare --net" >&2
    exit 1
  fi
fi
if [[ ${RESOLVERS_NO_NETNS:-0} != 1 ]]; then
  ip link set lo up || { echo "FAIL: ip link set lo up" >&2; exit 1; }
fi
[[ -f $here/primary_$kind.sh ]] || { echo "FAIL: no $here/primary_$kind.sh" >&2; exit 1; }
# shellcheck source=primary_bind.sh
source "$here/primary_$kind.sh"

failures=0
checks=0
ROUNDS=${ROUNDS:-5}
export ANSWER_TTL=${ANSWER_TTL:-5}
res_init
trap stop_all EXIT
trap 'exit 130' INT TERM

# What each resolver instance is, for the table.
declare -A VERSION=(
  [unbound]="Unbound $(unbound -V 2>/dev/null | sed -n 's/^Version //p')"
  [bind]="BIND $(named -v 2>/dev/null | awk '{ print $2 }')"
  [pdns]="PowerDNS Recursor $(pdns_recursor --version 2>&1 | sed -n 's/.*PowerDNS Recursor \([^ ]*\).*/\1/p' | head -1)"
  [kresd]="Knot Resolver $(kresd --version 2>/dev/null | awk '{ print $NF }')"
)
RESOLVERS=(unbound bind pdns kresd)

die() {
  echo "FAIL: $*" >&2
  exit 1
}

# start_set SUFFIX: starts the four resolvers (instances unbound$SUFFIX ...), transferring from
# the primary; kresd reads a file that a Knot DNS secondary (knotd$SUFFIX) writes.
start_set() {
  local s=$1 a=$PRIMARY_ADDR p=$PRIMARY_PORT
  INSTANCE=unbound$s start_unbound "$a" "$p" "$RPZ_ZONE" || die "start Unbound"
  INSTANCE=bind$s start_bind "$a" "$p" "$RPZ_ZONE" || die "start BIND"
  INSTANCE=pdns$s start_pdns_recursor "$a" "$p" "$RPZ_ZONE" || die "start PowerDNS Recursor"
  INSTANCE=knotd$s start_knot_feeder "$a" "$p" "$RPZ_ZONE" "$RES_TMP/kresd$s-rpz.zone" || die "start knotd"
  INSTANCE=kresd$s start_kresd "$RES_TMP/kresd$s-rpz.zone" || die "start Knot Resolver"
}

# measure TAG TREE WANT CMD...: polls every resolver in parallel every 50 ms with a fresh name
# under TREE (never asked before, so no cache is involved) while CMD makes a change on the
# primary, until the answer is WANT (NXDOMAIN or ANSWER); sets MS[resolver] to the milliseconds
# from the primary's NOTIFY (PRIMARY_NOTIFY_NS, set by CMD) or else from CMD's return, to the
# first answer that follows the change; or "timeout". With CACHED_NAME set, also polls that name
# (asked before the change) on each resolver, bounded by CACHED_TIMEOUT: MS[resolver/cached].
declare -A MS=()
measure() {
  local tag=$1 tree=$2 want=$3 r args=() label ms rest go=$RES_TMP/go.$1 out=$RES_TMP/poll.$1
  shift 3
  for r in "${RESOLVERS[@]}"; do args+=("$r=${RES_PORT[$r]}"); done
  if [[ -n ${CACHED_NAME:-} ]]; then
    for r in "${RESOLVERS[@]}"; do args+=("$r/cached=${RES_PORT[$r]}=$CACHED_NAME=$CACHED_TIMEOUT"); done
  fi
  setpriv --pdeathsig KILL -- "$RES_PY" "$here/poll.py" "$go" "$want" "$tag" "$tree" "$RES_TIMEOUT" "${args[@]}" >"$out" &
  local poller=$!
  until [[ -s $out ]]; do sleep 0.01; done
  PRIMARY_NOTIFY_NS=""
  if ! "$@"; then
    echo 0 >"$go"
    wait "$poller"
    die "$*"
  fi
  # From the NOTIFY when the primary says when it sent it, else from the change being served.
  echo "${PRIMARY_NOTIFY_NS:-$(date +%s%N)}" >"$go.tmp" && mv "$go.tmp" "$go"
  wait "$poller"
  while read -r label ms rest; do
    [[ $label == ready ]] && continue
    MS[$label]=$ms
    checks=$((checks + 1))
    if [[ $ms == timeout ]]; then
      failures=$((failures + 1))
      {
        echo "FAIL: $label did not answer $want for ${CACHED_NAME:-names under $tree} in time (last: $rest)"
        res_log_tail "${label%/cached}"
        [[ $label == kresd* ]] && res_log_tail knotd
      } >&2
    fi
  done <"$out"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print a[int((NR + 1) / 2)] }'; }

echo "== set-up: answerer, $kind primary, four resolvers"
start_answerer || die "start the answerer"
for r in unbound bind pdns knotd; do res_port_for "$r" || die "no port"; done
PRIMARY_NOTIFY=()
for r in unbound bind pdns knotd; do PRIMARY_NOTIFY+=("127.0.0.1 ${RES_PORT[$r]}"); done
TSIG_NAME="" TSIG_SECRET="" TSIG_ALG=""
primary_start || die "start the $kind primary"
# A standing rule, so that a resolver that blocks canary.test has loaded the zone.
primary_block canary.test || die "primary_block canary.test"
start_set ""

echo "== every resolver has loaded the zone"
for r in "${RESOLVERS[@]}"; do expect_nxdomain "$r" canary.test; done
((failures == 0)) || die "the RPZ zone did not reach every resolver"

echo "== before the order: the names resolve"
names=(www.blocked.test blocked.test sub.blocked.test)
for r in "${RESOLVERS[@]}"; do
  for n in "${names[@]}"; do expect_answer "$r" "$n"; done
done

echo "== an order for blocked.test: NXDOMAIN for it and its subdomains"
# www.blocked.test was answered (and cached) before the order: a resolver may go on serving the
# cached answer for a while (PowerDNS Recursor's packet cache does, up to the answer's TTL).
CACHED_NAME=www.blocked.test CACHED_TIMEOUT=$((RES_TIMEOUT + ANSWER_TTL)) \
  measure order blocked.test NXDOMAIN primary_block blocked.test
declare -A FIRST_BLOCK=() FIRST_LIFT=() CACHED_BLOCK=() CACHED_LIFT=()
for r in "${RESOLVERS[@]}"; do FIRST_BLOCK[$r]=${MS[$r]}; CACHED_BLOCK[$r]=${MS[$r/cached]}; done
for r in "${RESOLVERS[@]}"; do
  for n in "${names[@]}" deep.sub.blocked.test; do expect_nxdomain "$r" "$n" $((RES_TIMEOUT + ANSWER_TTL)); done
done

echo "== the order lifted: the names resolve again"
# www.blocked.test got NXDOMAIN during the order: PowerDNS Recursor 4.8 keeps that in its packet
# cache for packetcache-servfail-ttl (60 s), whatever the RPZ TTLs; so the bound is 60 s more.
CACHED_NAME=www.blocked.test CACHED_TIMEOUT=$((RES_TIMEOUT + 60)) \
  measure lift blocked.test ANSWER primary_lift blocked.test
for r in "${RESOLVERS[@]}"; do FIRST_LIFT[$r]=${MS[$r]}; CACHED_LIFT[$r]=${MS[$r/cached]}; done
for r in "${RESOLVERS[@]}"; do
  for n in "${names[@]}" deep.sub.blocked.test; do expect_answer "$r" "$n" $((RES_TIMEOUT + 60)); done
  expect_nxdomain "$r" canary.test
done

echo "== $ROUNDS timed changes (block, then lift, a fresh tree each round)"
for r in "${RESOLVERS[@]}"; do : >"$RES_TMP/block.$r"; : >"$RES_TMP/lift.$r"; done
for ((i = 1; i <= ROUNDS; i++)); do
  tree=m$i.test
  measure "r${i}b" "$tree" NXDOMAIN primary_block "$tree"
  line="round $i block:"
  for r in "${RESOLVERS[@]}"; do echo "${MS[$r]}" >>"$RES_TMP/block.$r"; line+=" $r=${MS[$r]}"; done
  measure "r${i}l" "$tree" ANSWER primary_lift "$tree"
  line+="  lift:"
  for r in "${RESOLVERS[@]}"; do echo "${MS[$r]}" >>"$RES_TMP/lift.$r"; line+=" $r=${MS[$r]}"; done
  echo "$line"
done

echo
echo "== milliseconds from the primary's NOTIFY (or from primary_block/primary_lift returning, if the"
echo "   primary does not say when it notified) to the resolver's first answer that follows the change"
printf '%-28s %-22s %9s %9s %11s %11s %12s %12s\n' resolver "RPZ via" "1st block" "1st lift" \
  "cached blk" "cached lift" "median blk" "median lift"
declare -A VIA=([unbound]="xfr+NOTIFY" [bind]="xfr+NOTIFY" [pdns]="xfr, polls 1s" [kresd]="knotd xfr -> file")
for r in "${RESOLVERS[@]}"; do
  printf '%-28s %-22s %9s %9s %11s %11s %12s %12s\n' "${VERSION[$r]}" "${VIA[$r]}" "${FIRST_BLOCK[$r]}" \
    "${FIRST_LIFT[$r]}" "${CACHED_BLOCK[$r]}" "${CACHED_LIFT[$r]}" \
    "$(grep -v timeout "$RES_TMP/block.$r" | median)" "$(grep -v timeout "$RES_TMP/lift.$r" | median)"
done
echo "(fresh names under the tree, except 'cached': www.blocked.test, asked before the change)"
echo

echo "== TSIG: transfers need the key; resolvers without it get no zone"
for r in unbound bind pdns kresd knotd; do res_stop "$r"; done
primary_stop
TSIG_NAME=interdict-xfr
TSIG_ALG=hmac-sha256
TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
wrong_secret=$(head -c 32 /dev/urandom | base64)
keyed=(bind_tsig pdns_tsig kresd_tsig)
keyless=(unbound_nokey bind_nokey bind_badkey pdns_badkey)
for r in bind_tsig pdns_tsig knotd_tsig unbound_nokey bind_nokey bind_badkey pdns_badkey; do
  res_port_for "$r" || die "no port"
done
PRIMARY_NOTIFY=()
for r in bind_tsig pdns_tsig knotd_tsig unbound_nokey bind_nokey bind_badkey pdns_badkey; do
  PRIMARY_NOTIFY+=("127.0.0.1 ${RES_PORT[$r]}")
done
primary_start || die "start the $kind primary with TSIG"
primary_block canary.test || die "primary_block canary.test"
a=$PRIMARY_ADDR p=$PRIMARY_PORT
INSTANCE=bind_tsig start_bind "$a" "$p" "$RPZ_ZONE" "$TSIG_NAME" "$TSIG_SECRET" "$TSIG_ALG" || die "start BIND with TSIG"
INSTANCE=pdns_tsig start_pdns_recursor "$a" "$p" "$RPZ_ZONE" "$TSIG_NAME" "$TSIG_SECRET" "$TSIG_ALG" || die "start PowerDNS Recursor with TSIG"
INSTANCE=knotd_tsig start_knot_feeder "$a" "$p" "$RPZ_ZONE" "$RES_TMP/kresd_tsig-rpz.zone" "$TSIG_NAME" "$TSIG_SECRET" "$TSIG_ALG" || die "start knotd with TSIG"
INSTANCE=kresd_tsig start_kresd "$RES_TMP/kresd_tsig-rpz.zone" || die "start Knot Resolver"
# Unbound 1.17 has no TSIG for zone transfers: it stands for a resolver without the key.
INSTANCE=unbound_nokey UNBOUND_IGNORE_TSIG=1 start_unbound "$a" "$p" "$RPZ_ZONE" || die "start Unbound"
INSTANCE=bind_nokey start_bind "$a" "$p" "$RPZ_ZONE" || die "start BIND without key"
INSTANCE=bind_badkey start_bind "$a" "$p" "$RPZ_ZONE" "$TSIG_NAME" "$wrong_secret" "$TSIG_ALG" || die "start BIND with a wrong key"
INSTANCE=pdns_badkey start_pdns_recursor "$a" "$p" "$RPZ_ZONE" "$TSIG_NAME" "$wrong_secret" "$TSIG_ALG" || die "start PowerDNS Recursor with a wrong key"
for r in "${keyed[@]}"; do expect_nxdomain "$r" canary.test; done
primary_block tsig-blocked.test || die "primary_block tsig-blocked.test"
for r in "${keyed[@]}"; do expect_nxdomain "$r" www.tsig-blocked.test; done
# The keyed ones have had two changes; give the others as long again, then they must not block.
sleep 2
for r in "${keyless[@]}"; do
  checks=$((checks + 1))
  got=$(q "${RES_PORT[$r]}" canary.test)
  got2=$(q "${RES_PORT[$r]}" www.tsig-blocked.test)
  if [[ $got == "NOERROR 192.0.2."* && $got2 == "NOERROR 192.0.2."* ]]; then
    echo "ok: $r has no zone without the right key (canary.test -> $got)"
  else
    failures=$((failures + 1))
    echo "FAIL: $r enforces the RPZ without the right key: canary.test -> '$got', www.tsig-blocked.test -> '$got2'" >&2
    res_log_tail "$r" >&2
  fi
done

echo
if ((failures == 0)); then
  echo "$checks passed, 0 failed"
  exit 0
fi
echo "$((checks - failures)) passed, $failures failed"
exit 1
