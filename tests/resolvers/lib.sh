# Helpers for the RPZ resolver tests: install the four resolvers, run each as a throwaway
# instance on a free loopback port with its own config, logs and working dir under $RES_TMP,
# query them, and stop everything. Source it, call res_init, and `trap stop_all EXIT`.
#
# Instances are named (default: the kind, e.g. "unbound"); each one's port, log and pid are kept
# in RES_PORT[name], RES_LOG[name] and RES_PID[name]. A port can be chosen before the instance
# starts (RES_PORT[name]=$(free_port)), so that the primary can be told whom to NOTIFY first.
# shellcheck disable=SC2034  # RES_KIND, UNBOUND_PORT ... are for the scripts that source this
set -uo pipefail

RPZ_ZONE=${RPZ_ZONE:-rpz.interdict.}
declare -gA RES_PORT=() RES_LOG=() RES_PID=() RES_KIND=()
RES_TMP=${RES_TMP:-}
RES_TIMEOUT=${RES_TIMEOUT:-10}   # seconds: bound of every wait for a resolver's answer

# Source address each kind uses towards the primary (loopback only), so that the primary's log
# tells the secondaries apart.
declare -gA RES_SOURCE=([unbound]=127.0.0.2 [bind]=127.0.0.3 [pdns]=127.0.0.4 [knotd]=127.0.0.5)

# Debian's python3 (a pyenv shim in front of it can take a second to start).
if [[ -z ${RES_PY:-} ]]; then
  RES_PY=/usr/bin/python3
  [[ -x $RES_PY ]] || RES_PY=$(command -v python3)
fi

res_fail() { echo "FAIL: $*" >&2; return 1; }
res_log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------------------------------------
# Installation

RESOLVER_PACKAGES=(unbound bind9 pdns-recursor knot-resolver lua-cqueues knot knot-dnsutils
  bind9-dnsutils iproute2)

# resolvers_install: installs whatever is missing, without leaving any of their system services
# running (with systemd or without). lua-cqueues is only a Recommends of knot-resolver, but kresd
# needs it to watch an RPZ file; knot (Knot DNS) is the secondary that writes kresd's RPZ file.
resolvers_install() {
  local p missing=()
  for p in "${RESOLVER_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]]; then
    res_fail "missing packages ${missing[*]} and not root to install them"
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  # Deny service starts during the install (invoke-rc.d honours policy-rc.d, with or without
  # systemd); keep a policy-rc.d that is already there (Docker images ship one).
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  local rc=0
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q -o DPkg::Lock::Timeout=600 update >&2 || rc=$?
  if ((rc == 0)); then
    apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >&2 || rc=$?
  fi
  ((own_policy)) && rm -f "$policy"
  if ((rc != 0)); then
    res_fail "apt-get install ${missing[*]} failed ($rc)"
    return 1
  fi
  resolvers_stop_services
}

# Stops and disables the distribution's services, in case something started them anyway.
resolvers_stop_services() {
  local units=(unbound.service named.service bind9.service pdns-recursor.service kresd@1.service
    kresd.target kres-cache-gc.service knot.service)
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    systemctl disable --now "${units[@]}" >/dev/null 2>&1 || true
  fi
  local svc
  for svc in unbound named bind9 pdns-recursor knot; do
    [[ -x /etc/init.d/$svc ]] && /etc/init.d/$svc stop >/dev/null 2>&1
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# Temp dir, ports, processes

res_init() {
  [[ -n $RES_TMP ]] || RES_TMP=$(mktemp -d /tmp/interdict-resolvers.XXXXXX)
  mkdir -p "$RES_TMP"
  : >"$RES_TMP/ports"
}

# free_port: a port free on 127.0.0.1 for both UDP and TCP, never handed out twice in one run.
free_port() {
  local p
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    p=$("$RES_PY" - <<'PY'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close(); continue
    u.close(); t.close(); print(port); break
PY
    )
    [[ -n $p ]] || continue
    if ! grep -qx "$p" "$RES_TMP/ports"; then
      echo "$p" >>"$RES_TMP/ports"
      echo "$p"
      return 0
    fi
  done
  res_fail "no free port"
}

# res_spawn NAME LOG CMD...: runs CMD in the background (it must stay in the foreground) and
# records its pid for stop_all. CMD gets SIGKILL if this shell dies without running its traps
# (say ctest kills it at its timeout).
res_spawn() {
  local name=$1 log=$2
  shift 2
  setpriv --pdeathsig KILL -- "$@" >>"$log" 2>&1 </dev/null &
  RES_PID[$name]=$!
  echo "${RES_PID[$name]} $name" >>"$RES_TMP/pids"
}

res_alive() { [[ -n ${RES_PID[$1]:-} ]] && kill -0 "${RES_PID[$1]}" 2>/dev/null; }

# res_stop NAME: TERM, then KILL after 5 s.
res_stop() {
  local name=$1 pid=${RES_PID[$1]:-}
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset "RES_PID[$name]"
  return 0
}

# stop_all: stops every process started here (also by pid file, for anything that was recorded
# before this shell knew it), and removes the temp dir unless RES_KEEP=1.
stop_all() {
  local rc=$?
  [[ -n $RES_TMP && -d $RES_TMP ]] || return $rc
  local pid name
  if [[ -f $RES_TMP/pids ]]; then
    while read -r pid name; do kill "$pid" 2>/dev/null; done <"$RES_TMP/pids"
    sleep 0.2
    while read -r pid name; do
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -9 "$pid" 2>/dev/null
    done <"$RES_TMP/pids"
  fi
  wait 2>/dev/null
  if [[ ${RES_KEEP:-0} == 1 ]]; then
    echo "kept $RES_TMP" >&2
  else
    rm -rf "$RES_TMP"
  fi
  return $rc
}

# ---------------------------------------------------------------------------------------------
# Queries

# q PORT NAME [TYPE]: prints "RCODE" followed by the answer's data, space separated
# (e.g. "NOERROR 192.0.2.1", "NXDOMAIN", "TIMEOUT").
q() {
  local out line status="" data=""
  out=$(kdig @127.0.0.1 -p "$1" "$2" "${3:-A}" +time=2 +retry=0 +noall +header +answer 2>&1)
  while IFS= read -r line; do
    if [[ $line =~ status:\ ([A-Z]+) ]]; then
      status=${BASH_REMATCH[1]}
    elif [[ $line != \;* && $line =~ [[:space:]]IN[[:space:]]+[A-Z0-9]+[[:space:]]+([^[:space:]]+) ]]; then
      data+=" ${BASH_REMATCH[1]}"
    fi
  done <<<"$out"
  echo "${status:-TIMEOUT}$data"
}

# res_log_tail NAME: the last lines of an instance's log, indented.
res_log_tail() {
  local log=${RES_LOG[$1]:-}
  [[ -n $log && -f $log ]] || return 0
  echo "  --- last lines of $log"
  tail -n "${2:-15}" "$log" | sed 's/^/  | /'
}

# wait_for INSTANCE NAME PATTERN [TIMEOUT_S]: polls every 50 ms until `q` for NAME matches the
# glob PATTERN; prints the milliseconds it took; fails (printing what it got) at the deadline.
wait_for() {
  local inst=$1 name=$2 want=$3 limit=${4:-$RES_TIMEOUT}
  local port=${RES_PORT[$inst]} t0 got now
  t0=$(now_ms)
  while :; do
    got=$(q "$port" "$name")
    # shellcheck disable=SC2053
    if [[ $got == $want ]]; then
      echo $(($(now_ms) - t0))
      return 0
    fi
    now=$(now_ms)
    ((now - t0 > limit * 1000)) && return 1
    sleep 0.05
  done
}

# expect_nxdomain INSTANCE NAME [TIMEOUT_S] / expect_answer INSTANCE NAME [TIMEOUT_S]: wait for
# NXDOMAIN, or for NOERROR with an address; fail with what was received and the log's tail.
expect_nxdomain() {
  local ms
  checks=$((${checks:-0} + 1))
  if ms=$(wait_for "$1" "$2" "NXDOMAIN" "${3:-$RES_TIMEOUT}"); then
    echo "ok: $1 $2 -> NXDOMAIN (${ms} ms)"
    return 0
  fi
  res_expect_failed "$1" "$2" NXDOMAIN
}
expect_answer() {
  local ms
  checks=$((${checks:-0} + 1))
  if ms=$(wait_for "$1" "$2" "NOERROR 192.0.2.*" "${3:-$RES_TIMEOUT}"); then
    echo "ok: $1 $2 -> answer (${ms} ms)"
    return 0
  fi
  res_expect_failed "$1" "$2" "an answer (NOERROR 192.0.2.x)"
}
res_expect_failed() {
  local got
  got=$(q "${RES_PORT[$1]}" "$2")
  failures=$((${failures:-0} + 1))
  {
    echo "FAIL: $1 (127.0.0.1#${RES_PORT[$1]}) $2: want $3 within ${RES_TIMEOUT}s, got '$got'"
    res_log_tail "$1"
  } >&2
  return 1
}

# res_wait_up INSTANCE: waits until the instance answers ok.test (the answerer's data).
res_wait_up() {
  local inst=$1 limit=${2:-20} t0
  t0=$(now_ms)
  while :; do
    if ! res_alive "$inst"; then
      res_fail "$inst exited during start-up"
      res_log_tail "$inst" 30 >&2
      return 1
    fi
    [[ $(q "${RES_PORT[$inst]}" ok.test) == "NOERROR 192.0.2."* ]] && break
    if (($(now_ms) - t0 > limit * 1000)); then
      res_fail "$inst does not answer ok.test on 127.0.0.1#${RES_PORT[$inst]} after ${limit}s (got '$(q "${RES_PORT[$inst]}" ok.test)')"
      res_log_tail "$inst" 30 >&2
      return 1
    fi
    sleep 0.05
  done
  res_log "$inst up on 127.0.0.1#${RES_PORT[$inst]} after $(($(now_ms) - t0)) ms"
}

# res_port_for INSTANCE: the preset port of an instance, or a new one.
res_port_for() {
  [[ -n ${RES_PORT[$1]:-} ]] || RES_PORT[$1]=$(free_port) || return 1
}

res_dir_for() {
  local d=$RES_TMP/$1
  mkdir -p "$d"
  echo "$d"
}

# ---------------------------------------------------------------------------------------------
# The answerer: an Unbound with local-data for the zone test. (an RPZ rule does not override
# local-data in the same Unbound, so the resolvers forward test. to this separate instance).
# Every name under blocked.test and the m*.test trees answers 192.0.2.1; ok.test 192.0.2.2; any
# other name under test. 192.0.2.9. TTL: $ANSWER_TTL (300).

start_answerer() {
  local inst=answerer d ttl=${ANSWER_TTL:-300}
  d=$(res_dir_for $inst)
  res_port_for $inst || return 1
  RES_KIND[$inst]=answerer
  RES_LOG[$inst]=$d/unbound.log
  {
    cat <<EOF
server:
  interface: 127.0.0.1
  port: ${RES_PORT[$inst]}
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$d"
  pidfile: "$d/unbound.pid"
  logfile: "$d/unbound.log"
  use-syslog: no
  log-time-ascii: yes
  verbosity: 1
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  local-zone: "test." redirect
  local-data: "test. $ttl IN A 192.0.2.9"
  local-zone: "ok.test." static
  local-data: "ok.test. $ttl IN A 192.0.2.2"
  local-zone: "blocked.test." redirect
  local-data: "blocked.test. $ttl IN A 192.0.2.1"
EOF
    local i
    for i in $(seq 1 20); do
      printf '  local-zone: "m%d.test." redirect\n  local-data: "m%d.test. %d IN A 192.0.2.1"\n' "$i" "$i" "$ttl"
    done
    printf 'remote-control:\n  control-enable: no\n'
  } >"$d/unbound.conf"
  res_spawn $inst "$d/stdout.log" unbound -d -c "$d/unbound.conf" || return 1
  ANSWER_PORT=${RES_PORT[$inst]}
  local t0
  t0=$(now_ms)
  until [[ $(q "$ANSWER_PORT" ok.test) == "NOERROR 192.0.2.2" ]]; do
    if ! res_alive $inst || (($(now_ms) - t0 > 10000)); then
      res_fail "answerer did not start"
      cat "$d/stdout.log" "$d/unbound.log" >&2 2>/dev/null
      return 1
    fi
    sleep 0.05
  done
  res_log "answerer up on 127.0.0.1#$ANSWER_PORT"
}

# ---------------------------------------------------------------------------------------------
# Resolvers. Each: start_KIND PRIMARY_ADDR PRIMARY_PORT ZONE [TSIG_NAME TSIG_SECRET [TSIG_ALG]]
# (instance name from $INSTANCE, default the kind). TSIG_ALG defaults to hmac-sha256.

# Unbound 1.17: rpz: clause with primary: and allow-notify:. It has no TSIG for zone transfers
# (no tsig-key: clause before 1.23), so a TSIG_NAME given here is a failure, except with
# UNBOUND_IGNORE_TSIG=1 (then it starts without the key, to show that it cannot transfer).
start_unbound() {
  local addr=$1 pport=$2 zone=$3 tsig_name=${4:-}
  local inst=${INSTANCE:-unbound} d
  if [[ -n $tsig_name && ${UNBOUND_IGNORE_TSIG:-0} != 1 ]]; then
    res_fail "Unbound 1.17 cannot use TSIG for RPZ transfers"
    return 1
  fi
  d=$(res_dir_for "$inst")
  res_port_for "$inst" || return 1
  RES_KIND[$inst]=unbound
  RES_LOG[$inst]=$d/unbound.log
  cat >"$d/unbound.conf" <<EOF
server:
  interface: 127.0.0.1
  port: ${RES_PORT[$inst]}
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$d"
  pidfile: "$d/unbound.pid"
  logfile: "$d/unbound.log"
  use-syslog: no
  log-time-ascii: yes
  verbosity: 2
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  module-config: "respip iterator"
  do-not-query-localhost: no
  outgoing-interface: ${RES_SOURCE[unbound]}
  local-zone: "test." nodefault
  domain-insecure: "test."
remote-control:
  control-enable: no
forward-zone:
  name: "test."
  forward-addr: 127.0.0.1@$ANSWER_PORT
rpz:
  name: "$zone"
  primary: $addr@$pport
  allow-notify: 127.0.0.0/8
$([[ ${UNBOUND_ZONEFILE:-1} == 1 ]] && echo "  zonefile: \"$d/rpz.zone\"" || true)
  rpz-log: yes
  rpz-log-name: "interdict"
EOF
  res_spawn "$inst" "$d/stdout.log" unbound -d -c "$d/unbound.conf" || return 1
  UNBOUND_PORT=${RES_PORT[$inst]}
  res_wait_up "$inst"
}

# BIND 9.18: a recursive named with a secondary zone used as response-policy zone.
start_bind() {
  local addr=$1 pport=$2 zone=$3 tsig_name=${4:-} tsig_secret=${5:-} tsig_alg=${6:-hmac-sha256}
  local inst=${INSTANCE:-bind} d keyclause="" keydef=""
  d=$(res_dir_for "$inst")
  res_port_for "$inst" || return 1
  RES_KIND[$inst]=bind
  RES_LOG[$inst]=$d/named.log
  if [[ -n $tsig_name ]]; then
    keydef="key \"$tsig_name\" { algorithm $tsig_alg; secret \"$tsig_secret\"; };"
    keyclause="key \"$tsig_name\""
  fi
  cat >"$d/named.conf" <<EOF
$keydef
options {
  directory "$d";
  pid-file "$d/named.pid";
  session-keyfile "$d/session.key";
  managed-keys-directory "$d";
  dump-file "$d/cache.db";
  statistics-file "$d/stats";
  listen-on port ${RES_PORT[$inst]} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { 127.0.0.0/8; };
  allow-recursion { 127.0.0.0/8; };
  dnssec-validation no;
  query-source address ${RES_SOURCE[bind]};
  transfer-source ${RES_SOURCE[bind]};
  notify no;
  allow-notify { 127.0.0.0/8; };
  response-policy { zone "$zone"; } min-update-interval ${BIND_RPZ_MIN_UPDATE_INTERVAL:-0};
};
controls { };
logging {
  channel main { file "$d/named.log"; print-time yes; print-category yes; print-severity yes; severity info; };
  category default { main; };
  category xfer-in { main; };
  category notify { main; };
  category rpz { main; };
  category lame-servers { null; };
};
zone "test" { type forward; forward only; forwarders { 127.0.0.1 port $ANSWER_PORT; }; };
zone "$zone" {
  type secondary;
  primaries { $addr port $pport $keyclause; };
  file "$d/rpz.db";
  allow-query { 127.0.0.0/8; };
};
EOF
  if ! named-checkconf "$d/named.conf" >&2; then
    res_fail "named-checkconf $d/named.conf"
    return 1
  fi
  res_spawn "$inst" "$d/stdout.log" named -f -c "$d/named.conf" -n 1 || return 1
  BIND_PORT=${RES_PORT[$inst]}
  res_wait_up "$inst"
}

# PowerDNS Recursor 4.8: rpzPrimary() in the Lua config. 4.8 does not act on NOTIFY for RPZ
# zones (added in 5.1), so it polls: refresh=$PDNS_RPZ_REFRESH seconds (1), overriding the SOA.
start_pdns_recursor() {
  local addr=$1 pport=$2 zone=$3 tsig_name=${4:-} tsig_secret=${5:-} tsig_alg=${6:-hmac-sha256}
  local inst=${INSTANCE:-pdns} d tsig=""
  d=$(res_dir_for "$inst")
  res_port_for "$inst" || return 1
  RES_KIND[$inst]=pdns
  RES_LOG[$inst]=$d/recursor.log
  [[ -n $tsig_name ]] && tsig=", tsigname=\"$tsig_name\", tsigalgo=\"$tsig_alg\", tsigsecret=\"$tsig_secret\""
  cat >"$d/recursor.lua" <<EOF
rpzPrimary({"$addr:$pport"}, "$zone", {refresh=${PDNS_RPZ_REFRESH:-1}, localAddress="${RES_SOURCE[pdns]}", policyName="interdict"$tsig})
EOF
  cat >"$d/recursor.conf" <<EOF
local-address=127.0.0.1
local-port=${RES_PORT[$inst]}
allow-from=127.0.0.0/8
socket-dir=$d
daemon=no
disable-syslog=yes
log-timestamp=yes
loglevel=6
quiet=yes
threads=1
security-poll-suffix=
dnssec=off
dont-query=
query-local-address=${RES_SOURCE[pdns]}
forward-zones=test.=127.0.0.1:$ANSWER_PORT
lua-config-file=$d/recursor.lua
allow-notify-from=127.0.0.0/8
allow-notify-for=$zone
${PDNS_EXTRA_CONFIG:-}
EOF
  res_spawn "$inst" "$d/recursor.log" pdns_recursor --config-dir="$d" || return 1
  PDNS_PORT=${RES_PORT[$inst]}
  res_wait_up "$inst"
}

# Knot Resolver 5.6: no zone transfers; policy.rpz(policy.DENY, FILE, true) reads an RPZ file and
# re-reads it when inotify reports it created or modified (needs lua-cqueues).
start_kresd() {
  local file=$1
  local inst=${INSTANCE:-kresd} d
  d=$(res_dir_for "$inst")
  res_port_for "$inst" || return 1
  RES_KIND[$inst]=kresd
  RES_LOG[$inst]=$d/kresd.log
  [[ -f $file ]] || res_fail "no RPZ file $file for kresd" || return 1
  cat >"$d/kresd.conf" <<EOF
log_level('info')
net.ipv6 = false
net.listen('127.0.0.1', ${RES_PORT[$inst]}, { kind = 'dns' })
-- Nothing leaves the loopback: no root priming, no clock-skew probe, no trust anchor.
modules.unload('priming')
modules.unload('detect_time_skew')
modules.unload('ta_update')
trust_anchors.remove('.')
cache.open(10 * MB, 'lmdb://$d/cache')
policy.add(policy.rpz(policy.DENY, '$file', true))
policy.add(policy.suffix(policy.STUB({'127.0.0.1@$ANSWER_PORT'}), {todname('test.')}))
EOF
  res_spawn "$inst" "$d/kresd.log" kresd -n -c "$d/kresd.conf" "$d" || return 1
  KRESD_PORT=${RES_PORT[$inst]}
  res_wait_up "$inst"
}

# Knot DNS 3.2 as the secondary that keeps kresd's RPZ file up to date: it takes NOTIFY,
# transfers, and rewrites FILE at once (zonefile-sync: 0).
#   start_knot_feeder PRIMARY_ADDR PRIMARY_PORT ZONE FILE [TSIG_NAME TSIG_SECRET [TSIG_ALG]]
start_knot_feeder() {
  local addr=$1 pport=$2 zone=$3 file=$4 tsig_name=${5:-} tsig_secret=${6:-} tsig_alg=${7:-hmac-sha256}
  local inst=${INSTANCE:-knotd} d keyref=""
  d=$(res_dir_for "$inst")
  res_port_for "$inst" || return 1
  RES_KIND[$inst]=knotd
  RES_LOG[$inst]=$d/knotd.log
  mkdir -p "$d/db"
  {
    printf 'server:\n  rundir: "%s"\n  listen: 127.0.0.1@%s\n' "$d" "${RES_PORT[$inst]}"
    printf 'log:\n  - target: "%s"\n    any: info\n' "$d/knotd.log"
    printf 'database:\n  storage: "%s"\n' "$d/db"
    if [[ -n $tsig_name ]]; then
      printf 'key:\n  - id: "%s"\n    algorithm: %s\n    secret: "%s"\n' "$tsig_name" "$tsig_alg" "$tsig_secret"
      keyref="    key: \"$tsig_name\""
    fi
    printf 'remote:\n  - id: primary\n    address: %s@%s\n    via: %s\n%s\n' "$addr" "$pport" "${RES_SOURCE[knotd]}" "$keyref"
    printf 'acl:\n  - id: notify_from_loopback\n    address: 127.0.0.0/8\n    action: notify\n'
    printf 'zone:\n  - domain: "%s"\n    master: primary\n    acl: notify_from_loopback\n' "$zone"
    printf '    file: "%s"\n    zonefile-sync: 0\n    zonefile-load: none\n    journal-content: none\n' "$file"
  } >"$d/knot.conf"
  if ! knotc -c "$d/knot.conf" conf-check >"$d/conf-check.log" 2>&1; then
    cat "$d/conf-check.log" >&2
    res_fail "knotc conf-check $d/knot.conf"
    return 1
  fi
  res_spawn "$inst" "$d/stdout.log" knotd -c "$d/knot.conf" || return 1
  local t0
  t0=$(now_ms)
  until [[ -s $file ]]; do
    if ! res_alive "$inst" || (($(now_ms) - t0 > 20000)); then
      res_fail "knotd did not write $file"
      tail -n 30 "$d/knotd.log" "$d/stdout.log" >&2
      return 1
    fi
    sleep 0.05
  done
  res_log "knotd feeder up on 127.0.0.1#${RES_PORT[$inst]}, wrote $file after $(($(now_ms) - t0)) ms"
}

# primary_serial: the SOA serial the primary (primary_KIND.sh) serves, empty when it answers none.
primary_serial() {
  kdig @127.0.0.1 -p "$PRIMARY_PORT" "$RPZ_ZONE" SOA +short +time=1 +retry=0 2>/dev/null | awk '{ print $3 }'
}
