#!/usr/bin/env bash
# Installs the Debian 12 packages interdict needs to build and test, when any is missing.
# Runs as root (CI, fresh machines) or through sudo.
set -euo pipefail

# The CLI scenario tests use python3 (to read --json output) and the sqlite3 shell (crash test);
# libmarisa-dev is a baseline of the matcher benchmark (bench/matcher_bench.cc); the openssl
# command checks our Ed25519 signatures independently of libsodium (tests/cli/cli_test.sh).
packages=(
  build-essential cmake pkg-config ccache
  libsqlite3-dev sqlite3 libidn2-dev libcli11-dev
  libboost-json1.81-dev libboost-url1.81-dev libxml2-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libmarisa-dev libsodium-dev
  python3 openssl wrk  # wrk: load checks of the HTTP server (src/http) by hand
  knot-dnsutils bind9-dnsutils  # kdig, dig: TSIG interop (tests/dns/tsig_test.cc)
  # src/guard: libpsl answers public-suffix questions; publicsuffix ships the full list it loads
  # (/usr/share/publicsuffix/public_suffix_list.dat, private-section entries included)
  libpsl-dev publicsuffix
  libjson-validator-perl  # the openapi_valid test: src/api/openapi.json against OpenAPI 3.0
  # tests/feed/format_test.cc loads each feed format into the program that reads it (dig and
  # nsupdate come with bind9-dnsutils; unshare with util-linux)
  nftables ipset bird2 unbound bind9 bind9-utils iproute2
  # The compliance testbed (tests/probe, scripts/testbed.sh, bench/probe.sh): nginx is the origin
  # of the pirate-site fixtures and the ISPs' block pages (throwaway instances, never the system
  # service); iptables (iptables-nft) gives the SNI-filtering ISP its string match on the TLS
  # ClientHello; curl is the ground truth's HTTP client.
  nginx iptables curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# The DNS servers are installed for tests that start their own instances on free loopback
# ports: keep the packages from starting system services (invoke-rc.d honours policy-rc.d,
# with or without systemd); a policy-rc.d already there (container images ship one) stays.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy" && own_policy=1
fi
trap 'if ((own_policy)); then $SUDO rm -f "$policy"; fi' EXIT
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
