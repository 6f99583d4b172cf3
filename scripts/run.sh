#!/usr/bin/env bash
# Quick start, part one: install what is missing, build, and run the main job — `interdict serve`
# on a demo registry under ./var (created on first run, with API tokens for each demo role),
# serving the HTTP API and the RPZ zones until Ctrl-C. HTTP_LISTEN and DNS_LISTEN choose the
# addresses (default 127.0.0.1:8080 and 127.0.0.1:5300).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target interdict
bin=./build/release/apps/interdict
db=./var/interdict.db
http=${HTTP_LISTEN:-127.0.0.1:8080}
dns=${DNS_LISTEN:-127.0.0.1:5300}
tokens=./var/demo-tokens.txt
"$bin" --db "$db" demo --data testdata "$@"
# The authority's key signs the feeds and the transparency log's heads; the collateral-damage
# guard gets the CDN ranges of testdata/ranges (public data, see its README).
key=./var/demo-authority
if [[ ! -s $key.key ]]; then
  "$bin" --db "$db" keys generate --out "$key" >/dev/null 2>&1
  "$bin" --db "$db" --actor demo ranges import testdata/ranges/*.txt >/dev/null
fi
if [[ ! -s $tokens ]]; then
  # Demo tokens, one per role, kept (mode 0600) so that later runs can print them again.
  umask 077
  : >"$tokens.new"
  while IFS=: read -r org role; do
    secret=$("$bin" --db "$db" --actor demo token create --org "$org" --role "$role" --label demo 2>/dev/null)
    printf '%-20s %-26s %s\n' "$role" "$org" "$secret" >>"$tokens.new"
  done <<'ROLES'
INDECOPI:authority-admin
AGCOM:authority-reviewer
IFPI:rightsholder
Example Telecom:isp
Example Search:search
Example App Store:appstore
Transparency Observatory:auditor
ROLES
  mv "$tokens.new" "$tokens"
fi
isp=$(awk '$1 == "isp" {print $NF}' "$tokens")
holder=$(awk '$1 == "rightsholder" {print $NF}' "$tokens")
reviewer=$(awk '$1 == "authority-reviewer" {print $NF}' "$tokens")
cat <<MSG

interdict serve: HTTP API on http://$http, RPZ zones over DNS on $dns (Ctrl-C stops it)

Demo API tokens (role, organization, token; kept in $tokens):
$(cat "$tokens")

Try:
  curl http://$http/healthz
  curl -H 'Authorization: Bearer $isp' 'http://$http/feeds/isp/snapshot?format=domains'
  curl -H 'Authorization: Bearer $isp' 'http://$http/api/v1/fqdn/get/all/txt'
  curl -H 'Authorization: Bearer $holder' -d '{"category":"torrent","targets":["new-pirate.example"]}' http://$http/v1/referrals
  curl -H 'Authorization: Bearer $reviewer' http://$http/v1/review/queue
  curl -H 'Authorization: Bearer $reviewer' -d '{"targets":["104.16.1.1","*.github.io","new-pirate.example"]}' http://$http/v1/guard/assess
  curl http://$http/v1/log/head ; curl 'http://$http/v1/log/entries?limit=3'
  curl http://$http/register          # the public register (HTML), and /public/orders as JSON
  curl http://$http/openapi.json
  kdig @${dns%:*} -p ${dns##*:} AXFR rpz.isp.interdict.

MSG
exec "$bin" --db "$db" --actor serve serve --http-listen "$http" --dns-listen "$dns" \
  --sign-key "$key.key"
