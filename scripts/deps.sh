#!/usr/bin/env bash
# Installs the Debian 12 packages interdict needs to build and test, when any is missing.
# Runs as root (CI, fresh machines) or through sudo.
set -euo pipefail

# The CLI scenario tests use python3 (to read --json output) and the sqlite3 shell (crash test);
# libmarisa-dev is a baseline of the matcher benchmark (bench/matcher_bench.cc).
packages=(
  build-essential cmake pkg-config ccache
  libsqlite3-dev sqlite3 libidn2-dev libcli11-dev
  libboost-json1.81-dev libboost-url1.81-dev libxml2-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libmarisa-dev
  python3
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
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
