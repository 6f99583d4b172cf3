# shellcheck shell=bash
# The compliance testbed (issue 7): an internet, an origin, six ISPs and a vantage behind each,
# all in network namespaces this library creates and deletes. Source it; set TB_BIN (the interdict
# binary) and optionally the variables below; call tb_up, then tb_truth_all / tb_probe_vantage,
# and tb_down (in a trap). docs/testbed.md draws the topology.
#
#   TB_BIN       the interdict binary (required)
#   TB_DIR       state directory: configs, logs, pids, certificates, registry (default: mktemp)
#   TB_PREFIX    prefix of every namespace name (default idt-tb-); namespaces are PREFIXinet,
#                PREFIXorigin, PREFIXisp-KIND and PREFIXv-KIND
#   TB_FIXTURES  directory with sites.tsv, order.txt, expectations.tsv (default: this one)
#   TB_GEN       number of generated sites for the benchmark (default 0); see tb_gen_fixtures
#   TB_DETACH    1: servers survive the calling shell (scripts/testbed.sh up); 0: they get
#                SIGKILL when it dies (tests)
#   TB_TIMEOUT   seconds of each ground-truth connect (default 1)
#
# Traffic stays inside the namespaces: every resolver forwards "." to the answering server of
# the internet namespace, which answers nothing but test. and never recurses.
# shellcheck disable=SC2034
set -uo pipefail

TB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TB_PREFIX=${TB_PREFIX:-idt-tb-}
TB_FIXTURES=${TB_FIXTURES:-$TB_LIB_DIR}
TB_GEN=${TB_GEN:-0}
TB_DETACH=${TB_DETACH:-0}
TB_TIMEOUT=${TB_TIMEOUT:-1}
TB_PY=/usr/bin/python3
[[ -x $TB_PY ]] || TB_PY=$(command -v python3)

# The ISPs, in the order of their index k (their links are 10.76.k.0/24, 10.75.k.0/24, 10.74.k.0/24).
TB_ISPS=(dns cname none ip sni page)
declare -gA TB_K=([dns]=1 [cname]=2 [none]=3 [ip]=4 [sni]=5 [page]=6)

# Addresses of the internet namespace's services (on its loopback).
TB_API=10.77.0.10          # interdict serve: HTTP API :8080, RPZ (NXDOMAIN) :53
TB_NOTICE=10.77.0.11       # interdict serve --notice-host: RPZ (CNAME) :53, notice site :80
TB_ANSWER=10.77.0.53       # Unbound with the test. zone's data (never recurses)
TB_CONTROL=10.77.0.54      # the control resolver: Unbound forwarding to the answerer
TB_NOTICE_HOST=notice.test
TB_RPZ_ZONE=rpz.isp.interdict.
TB_MARK_ORIGIN="interdict-testbed origin"
TB_MARK_BLOCK="TESTBED-BLOCK-PAGE"

tb_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tb_fail() { echo "FAIL: $*" >&2; return 1; }
tb_ns() { echo "${TB_PREFIX}$1"; }
# tb_in NAMESPACE CMD...: CMD inside a namespace of the testbed (directly when this shell already
# runs there, see tb_truth_all).
tb_in() {
  local ns=$1
  shift
  if [[ ${TB_IN_NS:-} == "$ns" ]]; then
    "$@"
  else
    ip netns exec "$(tb_ns "$ns")" "$@"
  fi
}

# Addresses of ISP KIND: the vantage's resolver (ISP side of the access link), the vantage's own
# address, its control source, the ISP's uplink address and its block-page address.
tb_resolver() { echo "10.75.${TB_K[$1]}.1"; }
tb_vantage_addr() { echo "10.75.${TB_K[$1]}.2"; }
tb_control_source() { echo "10.74.${TB_K[$1]}.2"; }
tb_isp_wan() { echo "10.76.${TB_K[$1]}.2"; }
tb_blockpage() { echo "10.73.${TB_K[$1]}.1"; }

# ---------------------------------------------------------------------------------------------
# Processes

# tb_spawn ID NAMESPACE CMD...: runs CMD (in the foreground) inside a namespace of the testbed,
# output to $TB_DIR/logs/ID.out; its pid goes to $TB_DIR/pids.
tb_spawn() {
  local id=$1 ns=$2 pid
  shift 2
  mkdir -p "$TB_DIR/logs"
  if [[ $TB_DETACH == 1 ]]; then
    setsid ip netns exec "$(tb_ns "$ns")" "$@" >>"$TB_DIR/logs/$id.out" 2>&1 </dev/null &
  else
    setpriv --pdeathsig KILL -- ip netns exec "$(tb_ns "$ns")" "$@" >>"$TB_DIR/logs/$id.out" 2>&1 </dev/null &
  fi
  pid=$!
  echo "$pid $id" >>"$TB_DIR/pids"
}

tb_pid() { awk -v id="$1" '$2 == id { p = $1 } END { print p }' "$TB_DIR/pids" 2>/dev/null; }
tb_alive() { local p; p=$(tb_pid "$1"); [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }

# tb_wait_until SECONDS WHAT CMD...: polls CMD every 0.1 s; fails naming WHAT at the deadline.
tb_wait_until() {
  local limit=$1 what=$2 t0=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - t0 > limit)); then
      tb_fail "$what: not ready after ${limit}s"
      return 1
    fi
    sleep 0.1
  done
}

tb_isp_namespaces() { local i; for i in "${TB_ISPS[@]}"; do echo "isp-$i v-$i"; done; }

# tb_namespaces: the testbed's namespaces that exist (exact names, so that testbeds with other
# prefixes, say a test's, are left alone).
tb_namespaces() {
  local want=" " n
  for n in inet origin $(tb_isp_namespaces); do want+="$TB_PREFIX$n "; done
  ip netns list 2>/dev/null | awk '{print $1}' | while read -r n; do
    [[ $want == *" $n "* ]] && echo "$n"
  done
  return 0
}

# tb_down: stops every process started here, then any process left inside the testbed's own
# namespaces, deletes the namespaces and (unless TB_KEEP=1) the state directory. Idempotent.
tb_down() {
  local pid id ns
  if [[ -n ${TB_DIR:-} && -f $TB_DIR/pids ]]; then
    while read -r pid id; do kill "$pid" 2>/dev/null; done <"$TB_DIR/pids"
    for _ in $(seq 50); do
      local any=0
      while read -r pid id; do kill -0 "$pid" 2>/dev/null && any=1; done <"$TB_DIR/pids"
      ((any)) || break
      sleep 0.1
    done
    while read -r pid id; do kill -9 "$pid" 2>/dev/null; done <"$TB_DIR/pids"
  fi
  # nginx workers and anything else still running in the testbed's namespaces (they are ours).
  for ns in $(tb_namespaces); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  done
  for ns in $(tb_namespaces); do ip netns del "$ns" 2>/dev/null; done
  wait 2>/dev/null
  if [[ -n ${TB_DIR:-} && -d $TB_DIR ]]; then
    if [[ ${TB_KEEP:-0} == 1 ]]; then
      echo "kept $TB_DIR" >&2
    else
      rm -rf "$TB_DIR"
    fi
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------
# Fixtures

# tb_sites: "name address tree" for every site (the fixtures' and the generated ones).
tb_sites() {
  awk '!/^#/ && NF >= 2 { print $1, $2, ($3 == "tree" ? "tree" : "-") }' "$TB_FIXTURES/sites.tsv"
  [[ -f $TB_DIR/gen/sites.txt ]] && cat "$TB_DIR/gen/sites.txt"
  return 0
}

# tb_gen_fixtures N: N generated sites gNNNNN.bench.test on 10.78.64.1 onwards; one in four is a
# domain target of order TB-GEN, one in four has its address as an ip target, the other half is in
# no order. Writes $TB_DIR/gen/{sites.txt,order.txt,expectations.tsv}.
tb_gen_fixtures() {
  local n=$1
  mkdir -p "$TB_DIR/gen"
  "$TB_PY" - "$n" "$TB_DIR/gen" <<'PY'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
A, BD, BI, BH, SH = "accessible", "blocked-dns", "blocked-ip", "blocked-http", "blocked-sni|blocked-http"
by_domain = {"dns": BD, "cname": BD, "none": A, "ip": A, "sni": SH, "page": BH}
by_ip = {"dns": A, "cname": A, "none": A, "ip": BI, "sni": BH, "page": BH}
sites, order, rows = [], [], {v: [] for v in by_domain}
for i in range(n):
    name = "g%05d.bench.test" % i
    addr = "10.78.%d.%d" % (64 + i // 250, 1 + i % 250)
    sites.append(f"{name} {addr} -")
    if i % 4 == 0:
        order.append("domain:" + name)
        for v in rows: rows[v].append((f"domain:{name}", by_domain[v]))
    elif i % 4 == 2:
        order.append("ip:" + addr)
        for v in rows: rows[v].append((f"ip:{addr}", by_ip[v]))
    else:
        for v in rows: rows[v].append((f"domain:{name}", A))
open(f"{out}/sites.txt", "w").write("\n".join(sites) + "\n")
open(f"{out}/order.txt", "w").write("\n".join(order) + "\n")
with open(f"{out}/expectations.tsv", "w") as f:
    for v, rs in rows.items():
        for t, e in rs: f.write(f"{v}\t{t}\t{e}\n")
PY
}

# ---------------------------------------------------------------------------------------------
# Network

tb_veth() {  # tb_veth NS_A IF_A ADDR_A NS_B IF_B ADDR_B (addresses with prefix length)
  ip link add "$2" netns "$(tb_ns "$1")" type veth peer name "$5" netns "$(tb_ns "$4")" || return 1
  ip -n "$(tb_ns "$1")" addr add "$3" dev "$2" && ip -n "$(tb_ns "$1")" link set "$2" up &&
    ip -n "$(tb_ns "$4")" addr add "$6" dev "$5" && ip -n "$(tb_ns "$4")" link set "$5" up
}

tb_network() {
  local ns isp k
  for ns in inet origin $(tb_isp_namespaces); do
    ip netns add "$(tb_ns "$ns")" || { tb_fail "ip netns add $(tb_ns "$ns")"; return 1; }
    ip -n "$(tb_ns "$ns")" link set lo up
  done
  # The internet: routes between the ISPs, the origin and the services on its loopback.
  for a in $TB_API $TB_NOTICE $TB_ANSWER $TB_CONTROL; do ip -n "$(tb_ns inet)" addr add "$a/32" dev lo; done
  tb_in inet sysctl -qw net.ipv4.ip_forward=1
  # The origin host answers every address of 10.78.0.0/16 (nginx) and 10.79.0.0/16 (nothing).
  tb_veth inet origin 10.72.0.1/24 origin wan 10.72.0.2/24 || return 1
  ip -n "$(tb_ns inet)" route add 10.78.0.0/15 via 10.72.0.2
  ip -n "$(tb_ns origin)" route add default via 10.72.0.1
  ip -n "$(tb_ns origin)" route add local 10.78.0.0/16 dev lo
  ip -n "$(tb_ns origin)" route add local 10.79.0.0/16 dev lo
  tb_in origin nft -f - <<'NFT' || { tb_fail "origin nft"; return 1; }
table inet testbed {
  chain input {
    type filter hook input priority filter; policy accept;
    ip daddr 10.79.0.0/24 meta l4proto tcp reject with tcp reset
    ip daddr 10.79.0.0/24 reject
    ip daddr 10.79.1.0/24 drop
  }
}
NFT
  for isp in "${TB_ISPS[@]}"; do
    k=${TB_K[$isp]}
    # ISP <-> internet, vantage <-> ISP, and the vantage's control uplink into the internet.
    tb_veth inet "isp-$isp" "10.76.$k.1/24" "isp-$isp" wan "10.76.$k.2/24" || return 1
    tb_veth "isp-$isp" lan "10.75.$k.1/24" "v-$isp" isp "10.75.$k.2/24" || return 1
    tb_veth inet "ctl-$isp" "10.74.$k.1/24" "v-$isp" ctl "10.74.$k.2/24" || return 1
    ip -n "$(tb_ns inet)" route add "10.75.$k.0/24" via "10.76.$k.2"
    ip -n "$(tb_ns "isp-$isp")" route add default via "10.76.$k.1"
    ip -n "$(tb_ns "isp-$isp")" addr add "$(tb_blockpage "$isp")/32" dev lo
    tb_in "isp-$isp" sysctl -qw net.ipv4.ip_forward=1
    # The vantage: everything through the ISP, except traffic from the control source (policy
    # routing) and queries to the control resolver, which take the control uplink.
    ns=$(tb_ns "v-$isp")
    ip -n "$ns" route add default via "10.75.$k.1"
    ip -n "$ns" route add "10.74.$k.0/24" dev ctl table 100
    ip -n "$ns" route add default via "10.74.$k.1" table 100
    ip -n "$ns" rule add from "10.74.$k.2" table 100 priority 100
    ip -n "$ns" route add "$TB_CONTROL/32" via "10.74.$k.1" src "10.74.$k.2"
  done
}

# ---------------------------------------------------------------------------------------------
# Certificates (ECDSA P-256: cheap handshakes under load): a test CA, the origin's certificate for
# every fixture name and *.bench.test, and the block pages' self-signed one.

tb_pki() {
  local d=$TB_DIR/pki san name addr tree
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=interdict testbed CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || { tb_fail "CA"; return 1; }
  san="DNS:*.bench.test"
  while read -r name addr tree; do
    [[ $name == *.bench.test ]] && continue
    san+=",DNS:$name"
    [[ $tree == tree ]] && san+=",DNS:*.$name"
  done < <(tb_sites)
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=origin.test" -keyout "$d/origin.key" \
    -out "$d/origin.csr" >/dev/null 2>&1 &&
    openssl x509 -req -in "$d/origin.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
      -days 2 -out "$d/origin.pem" -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san") \
      >/dev/null 2>&1 || { tb_fail "origin certificate"; return 1; }
  # The ISPs' block pages present a certificate of their own, which no client trusts.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=blocked.isp.test" \
    -keyout "$d/blockpage.key" -out "$d/blockpage.pem" >/dev/null 2>&1 || { tb_fail "block page cert"; return 1; }
}

# ---------------------------------------------------------------------------------------------
# nginx

# tb_nginx ID NAMESPACE SERVER_BLOCKS [HTTP_EXTRA]: a throwaway nginx with everything under
# $TB_DIR/ID.
tb_nginx() {
  local id=$1 ns=$2 servers=$3 extra=${4:-} d=$TB_DIR/$1
  mkdir -p "$d/tmp"
  cat >"$d/nginx.conf" <<EOF
user root;
worker_processes 2;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 8192; }
http {
  access_log ${TB_ACCESS_LOG:-off};
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  default_type text/plain;
  server_tokens off;
  keepalive_timeout 5;
  $extra
  $servers
}
EOF
  tb_in "$ns" nginx -t -q -p "$d" -e "$d/error.log" -c "$d/nginx.conf" >"$d/check.log" 2>&1 ||
    { cat "$d/check.log" >&2; tb_fail "nginx -t $d/nginx.conf"; return 1; }
  tb_spawn "$id" "$ns" nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf"
}

tb_start_origin() {
  local missing
  missing=$(awk '!/^#/ && $4 == "404" { printf "    %s 1;\n", $1 }' "$TB_FIXTURES/sites.tsv")
  tb_nginx origin origin "
  map \$host \$tb_missing {
    default 0;
$missing
  }
  server {
    listen 80 default_server backlog=4096;
    listen 443 ssl default_server backlog=4096;
    server_name _;
    ssl_certificate $TB_DIR/pki/origin.pem;
    ssl_certificate_key $TB_DIR/pki/origin.key;
    location / {
      if (\$tb_missing) { return 404 \"$TB_MARK_ORIGIN \$host: no page at \$request_uri\n\"; }
      return 200 \"$TB_MARK_ORIGIN \$host \$request_uri\n\";
    }
  }" || return 1
  tb_wait_until 10 "origin nginx" tb_in origin curl -sf -o /dev/null http://10.78.0.1/
}

# The block page of an ISP: status 200 and a recognisable body (sni), or 451 (page).
tb_start_blockpage() {
  local isp=$1 status=$2 a
  a=$(tb_blockpage "$isp")
  tb_nginx "blockpage-$isp" "isp-$isp" "
  server {
    listen $a:80 default_server;
    listen $a:443 ssl default_server;
    server_name _;
    ssl_certificate $TB_DIR/pki/blockpage.pem;
    ssl_certificate_key $TB_DIR/pki/blockpage.key;
    location / {
      return $status \"$TB_MARK_BLOCK: access to \$host is blocked by order of the testbed court (ISP $isp)\n\";
    }
  }" || return 1
  tb_wait_until 10 "block page of $isp" tb_in "isp-$isp" curl -s -o /dev/null "http://$a/"
}

# ---------------------------------------------------------------------------------------------
# DNS

tb_unbound_head() {  # tb_unbound_head DIR: the server: lines every instance shares
  cat <<EOF
server:
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$1"
  pidfile: "$1/unbound.pid"
  logfile: "$1/unbound.log"
  use-syslog: no
  log-time-ascii: yes
  verbosity: 1
  num-threads: 2
  so-reuseport: yes
  outgoing-range: 4096
  num-queries-per-thread: 2048
  msg-cache-size: 32m
  rrset-cache-size: 64m
  access-control: 10.0.0.0/8 allow
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  domain-insecure: "test."
  local-zone: "test." nodefault
EOF
}

# The answerer: the test. zone's data from the fixtures (a name with address "-" is absent, so
# NXDOMAIN), and no recursion at all (local-zone "." static).
tb_start_answerer() {
  local d=$TB_DIR/answerer name addr tree
  mkdir -p "$d"
  {
    tb_unbound_head "$d"
    printf '  interface: %s\n  module-config: "iterator"\n' "$TB_ANSWER"
    printf '  local-zone: "." static\n  local-zone: "test." static\n'
    printf '  local-data: "%s. 300 IN A %s"\n' "$TB_NOTICE_HOST" "$TB_NOTICE"
    while read -r name addr tree; do
      [[ $addr == - ]] && continue
      if [[ $tree == tree ]]; then
        printf '  local-zone: "%s." redirect\n' "$name"
      fi
      printf '  local-data: "%s. 300 IN A %s"\n' "$name" "$addr"
    done < <(tb_sites)
    printf 'remote-control:\n  control-enable: no\n'
  } >"$d/unbound.conf"
  unbound-checkconf "$d/unbound.conf" >/dev/null || { tb_fail "unbound-checkconf answerer"; return 1; }
  tb_spawn answerer inet unbound -d -c "$d/unbound.conf"
}

# tb_start_resolver ID NAMESPACE INTERFACES OUTGOING [RPZ_PRIMARY]: a caching resolver that
# forwards every name to the answerer, with the interdict RPZ zone when RPZ_PRIMARY is given.
tb_start_resolver() {
  local id=$1 ns=$2 ifaces=$3 outgoing=$4 primary=${5:-} d=$TB_DIR/$1 i
  mkdir -p "$d"
  {
    tb_unbound_head "$d"
    for i in $ifaces; do printf '  interface: %s\n' "$i"; done
    printf '  outgoing-interface: %s\n' "$outgoing"
    if [[ -n $primary ]]; then
      printf '  module-config: "respip iterator"\n'
    else
      printf '  module-config: "iterator"\n'
    fi
    printf 'remote-control:\n  control-enable: no\n'
    printf 'forward-zone:\n  name: "."\n  forward-addr: %s\n' "$TB_ANSWER"
    if [[ -n $primary ]]; then
      # NOTIFY comes from the primary's address or, routed, from the internet's side of the
      # ISP's uplink.
      printf 'rpz:\n  name: "%s"\n  primary: %s@53\n  allow-notify: %s\n  allow-notify: %s\n  zonefile: "%s/rpz.zone"\n' \
        "$TB_RPZ_ZONE" "$primary" "$primary" "${outgoing%.2}.1" "$d"
      printf '  rpz-log: yes\n  rpz-log-name: "interdict"\n'
    fi
  } >"$d/unbound.conf"
  unbound-checkconf "$d/unbound.conf" >/dev/null || { tb_fail "unbound-checkconf $id"; return 1; }
  tb_spawn "$id" "$ns" unbound -d -c "$d/unbound.conf"
}

# tb_dig NAMESPACE SERVER NAME [SOURCE]: "RCODE" then "cname:TARGET" and addresses, one line
# (e.g. "NOERROR 10.78.0.1", "NXDOMAIN", "NOERROR cname:notice.test 10.77.0.11", "TIMEOUT").
tb_dig() {
  local ns=$1 server=$2 name=$3 src=${4:-} out line status="" data=""
  out=$(tb_in "$ns" dig @"$server" ${src:+-b "$src"} "$name" A +time=2 +tries=2 +noall +comments +answer 2>&1)
  while IFS= read -r line; do
    if [[ $line =~ status:\ ([A-Z]+) ]]; then
      status=${BASH_REMATCH[1]}
    elif [[ $line != \;* && $line =~ [[:space:]]IN[[:space:]]+CNAME[[:space:]]+([^[:space:]]+) ]]; then
      data+=" cname:${BASH_REMATCH[1]%.}"
    elif [[ $line != \;* && $line =~ [[:space:]]IN[[:space:]]+A[[:space:]]+([^[:space:]]+) ]]; then
      data+=" ${BASH_REMATCH[1]}"
    fi
  done <<<"$out"
  echo "${status:-TIMEOUT}$data"
}

# ---------------------------------------------------------------------------------------------
# The registry: organizations, the order(s), tokens; interdict serve twice (the API and the
# NXDOMAIN RPZ; the CNAME RPZ and the notice site).

tb_cli() { "$TB_BIN" --db "$TB_DIR/registry.db" --actor testbed "$@"; }

tb_registry() {
  local isp targets=() t args=()
  tb_cli init >/dev/null || { tb_fail "interdict init"; return 1; }
  tb_cli org add --kind authority --name "Testbed Court" >/dev/null || return 1
  tb_cli org add --kind auditor --name "Testbed Observatory" >/dev/null || return 1
  for isp in "${TB_ISPS[@]}"; do tb_cli org add --kind isp --name "isp-$isp" >/dev/null || return 1; done
  mapfile -t targets < <(grep -v '^#' "$TB_FIXTURES/order.txt" | grep .)
  for t in "${targets[@]}"; do args+=(--target "$t"); done
  tb_cli order create --body "Testbed Court" --ref TB-1 --kind court-ruling --expires 2099-01-01 --dynamic \
    --scope isp --category torrent "${args[@]}" >/dev/null || { tb_fail "order TB-1"; return 1; }
  if [[ -s $TB_DIR/gen/order.txt ]]; then
    mapfile -t targets <"$TB_DIR/gen/order.txt"
    args=()
    for t in "${targets[@]}"; do args+=(--target "$t"); done
    tb_cli order create --body "Testbed Court" --ref TB-GEN --kind court-ruling --expires 2099-01-01 \
      --scope isp --category torrent "${args[@]}" >/dev/null || { tb_fail "order TB-GEN"; return 1; }
  fi
  (umask 077; : >"$TB_DIR/tokens")
  t=$(tb_cli token create --org "Testbed Observatory" --role auditor --label probe 2>/dev/null) || return 1
  echo "auditor $t" >>"$TB_DIR/tokens"
  for isp in "${TB_ISPS[@]}"; do
    t=$(tb_cli token create --org "isp-$isp" --role isp --label feed 2>/dev/null) || return 1
    echo "isp-$isp $t" >>"$TB_DIR/tokens"
  done
}

tb_token() { awk -v w="$1" '$1 == w { print $2 }' "$TB_DIR/tokens"; }

tb_start_serve() {
  tb_spawn serve inet "$TB_BIN" --db "$TB_DIR/registry.db" --actor serve serve \
    --http-listen "$TB_API:8080" --dns-listen "$TB_API:53" --zone "isp=$TB_RPZ_ZONE" \
    --allow-transfer 10.76.0.0/16 --notify "$(tb_isp_wan dns):53" --poll-ms 50 --rate 1000
  tb_spawn serve-notice inet "$TB_BIN" --db "$TB_DIR/registry.db" --actor serve serve \
    --dns-listen "$TB_NOTICE:53" --zone "isp=$TB_RPZ_ZONE" --notice-host "$TB_NOTICE_HOST" \
    --notice-listen "$TB_NOTICE:80" --public-url "http://$TB_API:8080" --allow-transfer 10.76.0.0/16 --notify "$(tb_isp_wan cname):53" \
    --poll-ms 50
  tb_wait_until 15 "interdict serve (API)" tb_in inet curl -sf "http://$TB_API:8080/healthz" || return 1
  tb_wait_until 15 "interdict serve (RPZ)" tb_rpz_up "$TB_API" || return 1
  tb_wait_until 15 "interdict serve (notice RPZ)" tb_rpz_up "$TB_NOTICE" || return 1
}
tb_rpz_up() { [[ $(tb_dig_soa "$1") =~ ^[^\;].*\ [0-9]+\ [0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]]; }
tb_dig_soa() { tb_in inet dig @"$1" "$TB_RPZ_ZONE" SOA +short +time=1 +tries=1 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
# The ISPs

# tb_feed ISP FORMAT FILE: the ISP fetches its view's snapshot from the API with its own token.
tb_feed() {
  tb_in "isp-$1" curl -fsS -m 30 -H "Authorization: Bearer $(tb_token "isp-$1")" \
    "http://$TB_API:8080/feeds/isp/snapshot?format=$2" -o "$3"
}

# tb_feed_lists ISP: from the JSON feed, the lists a filtering ISP works from, in $TB_DIR/isp-ISP:
# names (domain targets and domain-tree apexes), trees (domain-tree apexes), https_hosts and
# http_hosts (hosts of url targets), nets (ip and cidr targets).
tb_feed_lists() {
  local d=$TB_DIR/isp-$1
  tb_feed "$1" json "$d/feed.json" || { tb_fail "$1: json feed"; return 1; }
  "$TB_PY" - "$d" <<'PY'
import json, sys, urllib.parse
d = sys.argv[1]
feed = json.load(open(d + "/feed.json"))
lists = {k: set() for k in ("names", "trees", "https_hosts", "http_hosts", "nets")}
for e in feed["entries"]:
    k, v = e["kind"], e["value"]
    if k == "domain": lists["names"].add(v)
    elif k == "domain-tree": lists["names"].add(v); lists["trees"].add(v)
    elif k == "url":
        u = urllib.parse.urlsplit(v)
        lists["https_hosts" if u.scheme == "https" else "http_hosts"].add(u.hostname)
    elif k in ("ip", "cidr") and ":" not in v: lists["nets"].add(v)
for k, s in lists.items():
    open(f"{d}/{k}", "w").write("".join(x + "\n" for x in sorted(s)))
PY
}

# tb_resolve_list ISP FILE...: the IPv4 addresses the ISP's own resolver gives for the names in
# the files (a tree apex also as www.APEX), one per line.
tb_resolve_list() {
  local isp=$1 q=$TB_DIR/isp-$1/queries
  shift
  sort -u "$@" | awk -v trees="$TB_DIR/isp-$isp/trees" 'BEGIN { while ((getline t < trees) > 0) tree[t] = 1 }
    NF { print $1; if ($1 in tree) print "www." $1 }' >"$q"
  [[ -s $q ]] || return 0
  tb_in "isp-$isp" dig @"$(tb_resolver "$isp")" -f "$q" A +time=2 +tries=2 +noall +answer 2>/dev/null |
    awk '$4 == "A" { print $5 }' | sort -u
}

# tb_redirect ISP SET80 SETALL: DNAT to the ISP's block page: port 80 of the addresses in SET80,
# ports 80 and 443 of those in SETALL (files of addresses or networks).
tb_redirect() {
  local isp=$1 bp d=$TB_DIR/isp-$1
  bp=$(tb_blockpage "$isp")
  {
    echo "table ip testbed_redirect {"
    echo "  set port80 { type ipv4_addr; flags interval; auto-merge; }"
    echo "  set both_ports { type ipv4_addr; flags interval; auto-merge; }"
    echo "  chain prerouting {"
    echo "    type nat hook prerouting priority dstnat; policy accept;"
    echo "    iifname \"lan\" ip daddr @both_ports tcp dport { 80, 443 } dnat to $bp"
    echo "    iifname \"lan\" ip daddr @port80 tcp dport 80 dnat to $bp"
    echo "  }"
    echo "}"
    [[ -s $2 ]] && printf 'add element ip testbed_redirect port80 { %s }\n' "$(paste -sd, "$2")"
    [[ -s $3 ]] && printf 'add element ip testbed_redirect both_ports { %s }\n' "$(paste -sd, "$3")"
  } >"$d/redirect.nft"
  tb_in "isp-$isp" nft -f "$d/redirect.nft" || { tb_fail "$isp: nft -f redirect.nft"; return 1; }
}

# tb_sni_rules ISP: reset (REJECT tcp-reset) every forwarded TLS ClientHello to port 443 whose
# SNI is a blocked name: the exact name (its length-prefixed bytes in the server_name extension)
# or, for a domain-tree, any name ending in ".APEX". Only packets that start a TLS handshake
# record (first payload byte 0x16, checked with u32) go through the list.
tb_sni_rules() {
  local isp=$1 d=$TB_DIR/isp-$1 name hex
  {
    echo "*filter"
    echo ":testbed-sni - [0:0]"
    echo "-A FORWARD -i lan -p tcp --dport 443 -m u32 --u32 0>>22&0x3C@12>>26&0x3C@0>>24=0x16 -j testbed-sni"
    while read -r name; do
      [[ -n $name ]] || continue
      hex=$(printf '%04x' "${#name}")
      echo "-A testbed-sni -p tcp -m string --algo bm --hex-string |00${hex}|$name -j REJECT --reject-with tcp-reset"
    done < <(sort -u "$d/names" "$d/https_hosts")
    while read -r name; do
      [[ -n $name ]] || continue
      echo "-A testbed-sni -p tcp -m string --algo bm --string .$name -j REJECT --reject-with tcp-reset"
    done <"$d/trees"
    echo "COMMIT"
  } >"$d/sni.rules"
  tb_in "isp-$isp" iptables-restore --noflush <"$d/sni.rules" ||
    { tb_fail "$isp: iptables-restore sni.rules"; return 1; }
}

# tb_isp ISP: the ISP's resolver, then its filter from the registry's feeds.
tb_start_isp() {
  local isp=$1 d=$TB_DIR/isp-$1 primary=""
  mkdir -p "$d"
  case $isp in
    dns) primary=$TB_API ;;
    cname) primary=$TB_NOTICE ;;
  esac
  tb_start_resolver "isp-$isp" "isp-$isp" "$(tb_resolver "$isp") $(tb_isp_wan "$isp")" \
    "$(tb_isp_wan "$isp")" "$primary" || return 1
}

tb_filter_isp() {
  local isp=$1 d=$TB_DIR/isp-$1
  case $isp in
    ip)
      tb_feed ip nft "$d/feed.nft" || { tb_fail "ip: nft feed"; return 1; }
      tb_in isp-ip nft -f "$d/feed.nft" || { tb_fail "ip: nft -f feed.nft"; return 1; }
      ;;
    sni)
      tb_feed_lists sni || return 1
      tb_sni_rules sni || return 1
      # Port 80 of the blocked names' addresses goes to the block page; ip and cidr targets
      # (which no SNI names) on both ports.
      tb_resolve_list sni "$d/names" "$d/http_hosts" >"$d/web80"
      tb_redirect sni "$d/web80" "$d/nets" || return 1
      tb_start_blockpage sni 200 || return 1
      ;;
    page)
      tb_feed_lists page || return 1
      { tb_resolve_list page "$d/names" "$d/http_hosts" "$d/https_hosts"; cat "$d/nets"; } >"$d/all"
      tb_redirect page /dev/null "$d/all" || return 1
      tb_start_blockpage page 451 || return 1
      ;;
  esac
  return 0
}

# ---------------------------------------------------------------------------------------------
# Up

tb_check_tools() {
  local t
  for t in ip nft iptables-restore nginx unbound unbound-checkconf dig curl openssl setpriv "$TB_PY"; do
    command -v "$t" >/dev/null || { tb_fail "$t is not installed (scripts/deps.sh)"; return 1; }
  done
  [[ -x $TB_BIN ]] || { tb_fail "no interdict binary at $TB_BIN"; return 1; }
  [[ $(id -u) == 0 ]] || { tb_fail "the testbed needs root (network namespaces)"; return 1; }
}

tb_up() {
  local isp t0=$SECONDS
  tb_check_tools || return 1
  [[ -n ${TB_DIR:-} ]] || TB_DIR=$(mktemp -d /tmp/idt-testbed.XXXXXX)
  mkdir -p "$TB_DIR"
  if [[ -n $(tb_namespaces) ]]; then
    tb_fail "namespaces ${TB_PREFIX}* exist already (scripts/testbed.sh down, or another TB_PREFIX)"
    return 1
  fi
  TB_BIN=$(readlink -f "$TB_BIN")
  printf 'TB_BIN=%q\nTB_PREFIX=%q\nTB_GEN=%q\nTB_FIXTURES=%q\n' "$TB_BIN" "$TB_PREFIX" "$TB_GEN" \
    "$TB_FIXTURES" >"$TB_DIR/env"
  ((TB_GEN > 0)) && { tb_gen_fixtures "$TB_GEN" || return 1; }
  tb_log "network namespaces ${TB_PREFIX}*"
  tb_network || return 1
  tb_log "certificates"
  tb_pki || return 1
  tb_log "registry and interdict serve"
  tb_registry || return 1
  tb_start_serve || return 1
  tb_log "origin, answerer, control resolver, ISP resolvers"
  tb_start_origin || return 1
  tb_start_answerer || return 1
  tb_start_resolver control inet "$TB_CONTROL" "$TB_CONTROL" || return 1
  for isp in "${TB_ISPS[@]}"; do tb_start_isp "$isp" || return 1; done
  tb_wait_until 15 "answerer" tb_answers inet "$TB_ANSWER" open.test || return 1
  tb_wait_until 15 "control resolver" tb_answers inet "$TB_CONTROL" open.test || return 1
  for isp in "${TB_ISPS[@]}"; do
    tb_wait_until 15 "resolver of $isp" tb_answers "v-$isp" "$(tb_resolver "$isp")" open.test || return 1
  done
  # The RPZ resolvers have transferred the zone when the order's first domain is blocked.
  tb_wait_until 30 "RPZ at dns" tb_rpz_blocks dns "NXDOMAIN" || return 1
  tb_wait_until 30 "RPZ at cname" tb_rpz_blocks cname "NOERROR cname:$TB_NOTICE_HOST*" || return 1
  tb_log "ISP filters from the feeds"
  for isp in "${TB_ISPS[@]}"; do tb_filter_isp "$isp" || return 1; done
  tb_late_target || return 1
  printf 'body:%s\nstatus:451\n' "$TB_MARK_BLOCK" >"$TB_DIR/fingerprints.txt"
  tb_log "testbed up in $((SECONDS - t0)) s (state in $TB_DIR)"
}

# tb_late_target: a mirror (late.test) joins the dynamic order TB-1 once every ISP has loaded
# its filters. The RPZ ISPs follow (NOTIFY, then IXFR) and must block it within 10 s; the
# others work from the snapshot they took, so it stays reachable there, as the table says.
tb_late_target() {
  local t0 ms
  t0=$(date +%s%N)
  tb_cli order add-target TB-1 --target domain:late.test --reason "mirror" >/dev/null 2>&1 ||
    { tb_fail "order add-target TB-1 late.test"; return 1; }
  tb_wait_until 10 "late.test blocked at dns" tb_blocks dns late.test "NXDOMAIN" || return 1
  tb_wait_until 10 "late.test blocked at cname" tb_blocks cname late.test "NOERROR cname:$TB_NOTICE_HOST*" || return 1
  ms=$((($(date +%s%N) - t0) / 1000000))
  echo "$ms" >"$TB_DIR/propagation_ms"
  tb_log "late.test added to TB-1: blocked by both RPZ ISPs after $ms ms"
}
tb_blocks() {
  # shellcheck disable=SC2053
  [[ $(tb_dig "v-$1" "$(tb_resolver "$1")" "$2") == $3 ]]
}

tb_answers() { [[ $(tb_dig "$1" "$2" "$3") == "NOERROR 10."* ]]; }
tb_rpz_first_domain() { grep -m1 '^domain:' "$TB_FIXTURES/order.txt" | cut -d: -f2; }
tb_rpz_blocks() {
  # shellcheck disable=SC2053
  [[ $(tb_dig "v-$1" "$(tb_resolver "$1")" "$(tb_rpz_first_domain)") == $2 ]]
}

tb_status() {
  local ns pid id state
  echo "namespaces:"
  for ns in $(tb_namespaces); do echo "  $ns"; done
  if [[ -n ${TB_DIR:-} && -f $TB_DIR/pids ]]; then
    echo "processes (state in $TB_DIR):"
    while read -r pid id; do
      state=stopped
      kill -0 "$pid" 2>/dev/null && state=running
      printf '  %-18s %-8s pid %s\n' "$id" "$state" "$pid"
    done <"$TB_DIR/pids"
  fi
  cat <<EOF
addresses:
  interdict API    http://$TB_API:8080   RPZ $TB_API:53 (NXDOMAIN)   $TB_NOTICE:53 (CNAME $TB_NOTICE_HOST)
  answerer         $TB_ANSWER:53         control resolver $TB_CONTROL:53
  origin           10.78.0.0/16 (HTTP, HTTPS); 10.79.0.0/24 resets, 10.79.1.0/24 drops
EOF
  local isp
  for isp in "${TB_ISPS[@]}"; do
    printf '  %-6s vantage %s (%s): resolver %s, control source %s\n' "$isp" "$(tb_vantage_addr "$isp")" \
      "$(tb_ns "v-$isp")" "$(tb_resolver "$isp")" "$(tb_control_source "$isp")"
  done
}

# ---------------------------------------------------------------------------------------------
# Ground truth: dig and curl from a vantage, through its ISP and through the control uplink.

# tb_fetch NS URL HOST ADDR [SOURCE]: one curl; sets FETCH to "OUTCOME rc=.. status=.. (curl's
# error)" where OUTCOME is origin (the origin's body, any status), blockpage (451 or the block
# page's body), connect-fail (TCP refused, unreachable or timed out), tls-fail (TCP connected,
# then the TLS handshake reset or timed out) or other. Few processes: the machine may be busy.
tb_fetch() {
  local ns=$1 url=$2 host=$3 addr=$4 src=${5:-} port=80 body err rc code text="" msg="" outcome=other
  [[ $url == https://* ]] && port=443
  body=$TB_DIR/truth/body.$BASHPID
  err=$body.err
  code=$(tb_in "$ns" curl -sS -k -o "$body" -w '%{http_code}' \
    --connect-timeout "$TB_TIMEOUT" -m $((TB_TIMEOUT + 9)) ${src:+--interface "$src"} \
    ${host:+--resolve "$host:$port:$addr"} "$url" 2>"$err")
  rc=$?
  IFS= read -r msg <"$err"
  if ((rc == 0)); then
    IFS= read -r -d '' text <"$body"
    if [[ $text == *"$TB_MARK_BLOCK"* || $code == 451 ]]; then
      outcome=blockpage
    elif [[ $text == *"$TB_MARK_ORIGIN"* ]]; then
      outcome=origin
    fi
  elif ((rc == 7)) || [[ $msg == *"Failed to connect"* ]]; then
    outcome=connect-fail
  elif [[ $port == 443 ]] && ((rc == 35 || rc == 56 || rc == 28)); then
    outcome=tls-fail
  fi
  FETCH="$outcome rc=$rc status=$code${msg:+ ($msg)}"
}

# tb_first_addr CIDR: the first usable address of an IPv4 network (the address itself for /31, /32).
tb_first_addr() {
  "$TB_PY" -c 'import ipaddress,sys; n=ipaddress.ip_network(sys.argv[1], strict=False); print(n[1] if n.num_addresses > 2 else n[0])' "$1"
}

tb_first_a() {  # tb_first_a "RCODE ...": the first IPv4 address of a tb_dig line
  [[ " $1 " =~ \ ([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)\  ]] && echo "${BASH_REMATCH[1]}"
}

# tb_sorted_set WORDS...: sorted, unique, joined by "|" (without a process).
tb_sorted_set() {
  local -A seen=()
  local w out=""
  for w in "$@"; do seen[$w]=1; done
  for w in accessible blocked-dns blocked-http blocked-ip blocked-sni down inconclusive; do
    [[ -n ${seen[$w]:-} ]] && out+="|$w" && unset "seen[$w]"
  done
  for w in "${!seen[@]}"; do out+="|$w"; done
  echo "${out#|}"
}

# tb_truth VANTAGE TARGET: sets TRUTH to the verdicts the observations support (sorted, joined
# by "|"; one per scheme tried, when they differ) and EVIDENCE to what was observed.
tb_truth() {
  local v=$1 t=$2 kind value host="" addr="" urls=() ns isp_dns="" ctl_dns="" verdicts=()
  local url o_i o_c r isp_a="" ctl_a="" src out_i
  ns=v-$v
  src=$(tb_control_source "$v")
  kind=${t%%:*}
  value=${t#*:}
  EVIDENCE=""
  case $kind in
    domain | domain-tree) host=$value urls=("http://$host/" "https://$host/") ;;
    url)
      urls=("$value")
      host=${value#*://}
      host=${host%%/*}
      host=${host%%:*}
      ;;
    ip) addr=$value urls=("http://$addr/" "https://$addr/") ;;
    cidr)
      addr=$(tb_first_addr "$value")
      urls=("http://$addr/" "https://$addr/")
      ;;
    *) TRUTH=inconclusive EVIDENCE="unknown target kind $kind"; return ;;
  esac
  if [[ -n $host ]]; then
    isp_dns=$(tb_dig "$ns" "$(tb_resolver "$v")" "$host")
    ctl_dns=$(tb_dig "$ns" "$TB_CONTROL" "$host" "$src")
    EVIDENCE="isp-dns=[$isp_dns] control-dns=[$ctl_dns]"
    ctl_a=$(tb_first_a "$ctl_dns")
    isp_a=$(tb_first_a "$isp_dns")
    if [[ $ctl_dns == NXDOMAIN* ]]; then
      TRUTH=down
      return
    fi
    if [[ -z $ctl_a ]]; then
      TRUTH=inconclusive
      return
    fi
    if [[ $isp_dns == NXDOMAIN* || ($isp_dns == NOERROR* && -z $isp_a) || $isp_dns == *"cname:$TB_NOTICE_HOST"* ]]; then
      TRUTH=blocked-dns
      return
    fi
    [[ -n $isp_a ]] || { TRUTH=inconclusive; return; }
  fi
  for url in "${urls[@]}"; do
    tb_fetch "$ns" "$url" "$host" "${isp_a:-$addr}"
    out_i=$FETCH
    tb_fetch "$ns" "$url" "$host" "${ctl_a:-$addr}" "$src"
    o_i=${out_i%% *}
    o_c=${FETCH%% *}
    EVIDENCE+=" $url: isp=[$out_i] control=[$FETCH]"
    case $o_c/$o_i in
      origin/origin) r=accessible ;;
      origin/blockpage) r=blocked-http ;;
      origin/connect-fail) r=blocked-ip ;;
      origin/tls-fail) r=blocked-sni ;;
      connect-fail/connect-fail) r=down ;;
      *) r=inconclusive ;;
    esac
    verdicts+=("$r")
  done
  TRUTH=$(tb_sorted_set "${verdicts[@]}")
}

# tb_truth_vantage EXPECTATIONS VANTAGE: one line per row of the vantage, "ok" or "MISMATCH".
tb_truth_vantage() {
  local v=$2 vv t e want
  local -a alts
  mkdir -p "$TB_DIR/truth"
  while IFS=$'\t' read -r vv t e; do
    [[ $vv == "$v" ]] || continue
    IFS='|' read -r -a alts <<<"$e"
    want=$(tb_sorted_set "${alts[@]}")
    tb_truth "$v" "$t"
    if [[ $TRUTH != "$want" ]]; then
      # Once more, in case a busy machine made an attempt miss its deadline; both are reported.
      local first="$TRUTH: $EVIDENCE"
      sleep 1
      tb_truth "$v" "$t"
      [[ $TRUTH == "$want" ]] && echo "retried $v $t: the first attempt observed $first" >&2
    fi
    if [[ $TRUTH == "$want" ]]; then
      printf 'ok\t%s\t%s\t%s\n' "$v" "$t" "$e"
    else
      printf 'MISMATCH\t%s\t%s\twant %s, observed %s\t%s\n' "$v" "$t" "$e" "$TRUTH" "$EVIDENCE"
    fi
  done <"$1"
  rm -f "$TB_DIR/truth/body.$BASHPID" "$TB_DIR/truth/body.$BASHPID.err"
}

# tb_truth_all EXPECTATIONS [VANTAGE...]: checks every row (of the given vantages) against the
# ground truth, the vantages in parallel; prints one line per row and returns 1 on any mismatch.
tb_truth_all() {
  local exp=$1 v rows=0 bad=0 line
  shift
  local vs=("$@")
  ((${#vs[@]})) || vs=("${TB_ISPS[@]}")
  mkdir -p "$TB_DIR/truth"
  # One shell per vantage, inside the vantage's namespace (an `ip netns exec` per dig and curl
  # would cost more than the queries).
  local workers=()
  for v in "${vs[@]}"; do
    TB_IN_NS=v-$v TB_DIR=$TB_DIR TB_PREFIX=$TB_PREFIX TB_TIMEOUT=$TB_TIMEOUT TB_BIN=${TB_BIN:-} \
      ip netns exec "$(tb_ns "v-$v")" bash -c 'source "$1"; tb_truth_vantage "$2" "$3"' _ \
      "$TB_LIB_DIR/testbed_lib.sh" "$exp" "$v" >"$TB_DIR/truth/$v.txt" 2>&1 &
    workers+=($!)
  done
  wait "${workers[@]}"  # not a bare wait: the servers may be this shell's children too
  local want_rows=0
  for v in "${vs[@]}"; do
    want_rows=$((want_rows + $(awk -F'\t' -v v="$v" '$1 == v' "$exp" | wc -l)))
    while IFS= read -r line; do
      case $line in
        ok$'\t'*)
          rows=$((rows + 1))
          [[ ${TB_VERBOSE:-0} == 1 ]] && echo "$line"
          ;;
        MISMATCH$'\t'*)
          rows=$((rows + 1))
          bad=$((bad + 1))
          echo "FAIL ground truth: ${line#MISMATCH$'\t'}" >&2
          ;;
        retried*) echo "$line" >&2 ;;
        *)
          bad=$((bad + 1))
          echo "FAIL ground truth ($v): $line" >&2
          ;;
      esac
    done <"$TB_DIR/truth/$v.txt"
  done
  if ((rows != want_rows)); then
    echo "FAIL ground truth: $rows rows checked, the table has $want_rows" >&2
    bad=$((bad + 1))
  fi
  echo "ground truth: $rows rows, $bad mismatches"
  ((bad == 0))
}

# ---------------------------------------------------------------------------------------------
# The probe (contract section 1): `interdict audit run` inside a vantage.

# (`audit` without `run` is the audit trail, whose --help answers too: look for --vantage.)
tb_probe_available() { "$TB_BIN" audit run --help 2>&1 | grep -q -- '--vantage'; }

# tb_probe_vantage VANTAGE OUTPUT SUMMARY [ARGS...]: runs the probe from the vantage's namespace
# with the testbed's resolvers, control uplink, CA and block-page fingerprints; ARGS choose the
# targets (--targets FILE, or --registry URL --token T) and anything else.
tb_probe_vantage() {
  local v=$1 out=$2 summary=$3
  shift 3
  tb_in "v-$v" "$TB_BIN" --db "$TB_DIR/probe-$v.db" --actor "probe-$v" --json audit run \
    --vantage "isp-$v" --resolver "$(tb_resolver "$v")" \
    --control-resolver "$TB_CONTROL" --control-source "$(tb_control_source "$v")" \
    --ca-file "$TB_DIR/pki/ca.pem" --notice-host "$TB_NOTICE_HOST" \
    --fingerprints "$TB_DIR/fingerprints.txt" --output "$out" "$@" >"$summary"
}

# tb_targets_for EXPECTATIONS VANTAGE FILE: the targets of the vantage's rows, one per line.
tb_targets_for() { awk -F'\t' -v v="$2" '!/^#/ && $1 == v { print $2 }' "$1" >"$3"; }
