#!/usr/bin/env bash
# The nft feed on real packets: two network namespaces made by this test and joined by a veth
# pair; the client applies `interdict export --view isp --format nft`; TCP connections from the
# client to blocked addresses (an ip rule and a CIDR, IPv4 and IPv6) must fail, others must
# succeed; after a lift, the next export applied over the first one unblocks exactly what was
# lifted. Root only; nothing leaves the namespaces.
#   nft_packet_test.sh INTERDICT_BINARY
set -uo pipefail
bin=${1:?usage: nft_packet_test.sh INTERDICT_BINARY}
py=/usr/bin/python3
for tool in nft ip unshare "$py"; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/deps.sh)" >&2; exit 1; }
done
work=$(mktemp -d)
cli=idc-cli-$$
srv=idc-srv-$$
cleanup() {
  [[ -n ${listener:-} ]] && kill "$listener" 2>/dev/null
  ip netns del "$cli" 2>/dev/null
  ip netns del "$srv" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

ip netns add "$cli" && ip netns add "$srv" || { echo "FAIL: ip netns add" >&2; exit 1; }
ip link add "v$$a" netns "$cli" type veth peer name "v$$b" netns "$srv" || { echo "FAIL: veth" >&2; exit 1; }
ip -n "$cli" link set lo up
ip -n "$srv" link set lo up
ip -n "$cli" addr add 10.200.0.1/24 dev "v$$a"
ip -n "$cli" addr add fd00:200::1/64 dev "v$$a" nodad
ip -n "$cli" link set "v$$a" up
for a in 2 3 5 9; do ip -n "$srv" addr add "10.200.0.$a/24" dev "v$$b"; done
for a in 2 3; do ip -n "$srv" addr add "fd00:200::$a/64" dev "v$$b" nodad; done
ip -n "$srv" link set "v$$b" up

# A TCP listener on every address of the server namespace.
ip netns exec "$srv" "$py" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 7070)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()
' &
listener=$!
reach() {  # reach ADDR: exit 0 when a TCP connection from the client namespace succeeds
  ip netns exec "$cli" "$py" -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], 7070), timeout=1).close()
except OSError:
    sys.exit(1)
' "$1"
}
for _ in $(seq 50); do reach 10.200.0.2 && reach fd00:200::2 && break; sleep 0.1; done
for a in 10.200.0.2 10.200.0.3 10.200.0.5 10.200.0.9 fd00:200::2 fd00:200::3; do
  reach "$a" || fail "$a is not reachable before any rule"
done

export INTERDICT_DB=$work/registry.db INTERDICT_ACTOR=nft-test
"$bin" init >/dev/null || { echo "FAIL: init" >&2; exit 1; }
first=$("$bin" order create --body Court --ref NFT-1 --expires 2099-01-01 --scope isp \
  --category torrent --target 10.200.0.3 --target fd00:200::3) || { echo "FAIL: order" >&2; exit 1; }
"$bin" order create --body Court --ref NFT-2 --expires 2099-01-01 --scope isp --category torrent \
  --target 10.200.0.4/30 >/dev/null || { echo "FAIL: order" >&2; exit 1; }
"$bin" export --view isp --format nft -o "$work/a.nft" 2>/dev/null || { echo "FAIL: export" >&2; exit 1; }
ip netns exec "$cli" nft -f "$work/a.nft" || { echo "FAIL: nft -f a.nft" >&2; exit 1; }

expect() {  # expect blocked|open ADDR
  if reach "$2"; then
    [[ $1 == open ]] || fail "$2 is reachable, but its order blocks it"
  else
    [[ $1 == blocked ]] || fail "$2 is not reachable, but no order blocks it"
  fi
}
expect open 10.200.0.2
expect blocked 10.200.0.3   # ip rule
expect blocked 10.200.0.5   # inside 10.200.0.4/30
expect open 10.200.0.9
expect open fd00:200::2
expect blocked fd00:200::3

# Lift the first order; the next export, applied over the first, opens exactly what it blocked.
"$bin" order lift "$first" --reason appeal >/dev/null || fail "lift"
"$bin" export --view isp --format nft -o "$work/b.nft" 2>/dev/null || fail "export after lift"
ip netns exec "$cli" nft -f "$work/b.nft" || fail "nft -f b.nft"
expect open 10.200.0.3
expect blocked 10.200.0.5
expect open fd00:200::3
# Applied twice, the script leaves one rule per chain and family, not two.
rules=$(ip netns exec "$cli" nft list chain inet interdict output | grep -c 'drop')
[[ $rules == 2 ]] || fail "the output chain has $rules drop rules after two applies, not 2"

if ((failures > 0)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "nft feed: blocked and opened addresses as the registry says"
