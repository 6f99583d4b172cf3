#!/usr/bin/env bash
# The README's main job end to end: `interdict demo` builds the demo registry, `interdict serve`
# serves it over HTTP, and the demo's organizations work through the API with their own tokens:
# the review queue holds the demo's open referrals, a rights holder refers, a reviewer approves
# into a new order, the ISP's feed follows, the ISP acknowledges through the Piracy Shield
# route, the audit trail names each API caller, and SIGTERM stops the server.
# Usage: api_demo_test.sh path/to/interdict path/to/testdata
source "$(dirname "$0")/lib.sh"
bin=$1
data=$2
tmp=$(mktemp -d)
serve_pid=
cleanup() {
  [[ -n $serve_pid ]] && kill "$serve_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
db=$tmp/demo.db
run() { "$bin" --db "$db" --actor test "$@"; }

echo "== demo registry and one token per role"
expect_exit 0 -- run demo --data "$data"
declare -A token
while IFS=: read -r org role; do
  expect_exit 0 -- run token create --org "$org" --role "$role" --label test
  token[$role]=$out
done <<'ROLES'
INDECOPI:authority-admin
AGCOM:authority-reviewer
IFPI:rightsholder
Example Telecom:isp
Transparency Observatory:auditor
ROLES

# As scripts/run.sh: the authority's key, and the guard's CDN ranges.
expect_exit 0 -- run keys generate --out "$tmp/authority"
expect_exit 0 -- run ranges import "$data"/ranges/*.txt

"$bin" --db "$db" --actor serve serve --http-listen 127.0.0.1:0 --poll-ms 20 \
  --sign-key "$tmp/authority.key" >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
for _ in $(seq 100); do grep -q '^http ' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^http /{print $2}' "$tmp/serve.out")
[[ -n $port ]] || { fail "serve did not start: $(cat "$tmp/serve.err")"; finish; exit 1; }

# api ROLE METHOD PATH [BODY]: $status and $out (the body) of one request.
api() {
  local resp
  resp=$(/usr/bin/python3 - "$port" "${token[$1]}" "$2" "$3" "${4:-}" <<'PY'
import sys, urllib.request, urllib.error
port, token, method, path, body = sys.argv[1:6]
req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                             data=body.encode() if body else None,
                             headers={"Authorization": "Bearer " + token,
                                      "Content-Type": "application/json"})
try:
    r = urllib.request.urlopen(req, timeout=10)
    print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
PY
)
  status=$(head -1 <<<"$resp")
  out=$(tail -n +2 <<<"$resp")
}

echo "== the demo's open referrals wait in the review queue"
api authority-reviewer GET /v1/review/queue
expect_eq "queue served" "$status" 200
expect_eq "two open referrals" "$(json 'sorted(r["org"] for r in d["referrals"])')" \
  "['LaLiga', 'Motion Picture Association']"

echo "== a rights holder refers, a reviewer approves, the ISP's feed follows"
api rightsholder POST /v1/referrals '{"category":"stream-ripping","targets":["e2e-rip.example",
  "*.e2e-mirror.example"],"evidence":[{"url":"https://e2e-rip.example/","observed":"2026-11-20T10:00:00Z",
  "sha256":"'"$(printf 'e%.0s' {1..64})"'"}]}'
expect_eq "referral created" "$status" 201
referral=$(json 'd["referral"]["id"]')
expect_eq "each item accepted" "$(json '[i["result"] for i in d["items"]]')" "['accepted', 'accepted']"
api isp GET "/v1/referrals/$referral"
expect_eq "an ISP does not read referrals" "$status" 403
api authority-reviewer POST "/v1/review/$referral/approve" '{"order":{"body":"INDECOPI",
  "reference":"E2E-1","kind":"administrative-decision","expires":"2099-01-01","scope":["isp"]},
  "reason":"evidence checked"}'
expect_eq "approved into a new order" "$status" 201
order=$(json 'd["order"]["id"]')
expect_eq "the order is in force" "$(json 'd["order"]["state"]')" "in-force"
feed=
for _ in $(seq 100); do
  api isp GET '/feeds/isp/snapshot?format=domains'
  feed=$out
  [[ $feed == *e2e-rip.example* ]] && break
  sleep 0.05
done
expect_contains "the isp feed carries the new order" "$feed" "e2e-rip.example"

echo "== the ISP acknowledges through the Piracy Shield route; the auditor sees it"
api isp POST /api/v1/ticket/item/set/processed '{"value":"e2e-rip.example"}'
expect_eq "acknowledged" "$status" 200
expect_eq "Piracy Shield answer" "$(json 'd["status"]')" "success"
api auditor GET "/v1/acks?order_id=$order"
expect_eq "the auditor reads the acknowledgement" "$(json '[(a["value"], a["status"]) for a in d["acknowledgements"]]')" \
  "[('e2e-rip.example', 'processed')]"
api rightsholder POST "/v1/orders/$order/lift" '{"reason":"no"}'
expect_eq "a rights holder does not lift orders" "$status" 403

echo "== due process: the guard refuses a CDN address; the log is signed and verifies"
api authority-reviewer POST /v1/guard/assess '{"targets":["104.16.1.1","e2e-clear.example"]}'
expect_eq "assessed" "$status" 200
expect_eq "cloudflare flagged, the other clear" "$(json '[(i["target"], i["refused"]) for i in d["items"]]')" \
  "[('ip:104.16.1.1', True), ('domain:e2e-clear.example', False)]"
api authority-admin POST /v1/orders '{"body":"Court","reference":"E2E-CDN","categories":["live-sports"],"targets":["104.16.1.1"]}'
expect_eq "an order on a Cloudflare address is refused" "$status" 409
expect_contains "naming the provider" "$out" "cloudflare"
api auditor GET /v1/log/head
expect_eq "a signed head" "$status" 200
head_size=$(json 'd["size"]')
expect_exit 0 -- run log head
printf '%s\n' "$out" >"$tmp/head.txt"
expect_exit 0 -- run --json log head
expect_eq "the head covers the log" "$(json 'd["log_size"]')" "$head_size"
expect_exit 0 -- run log verify --pubkey "$tmp/authority.pub"
expect_contains "the demo's log verifies" "$out" "valid: $head_size entries"

echo "== the audit trail names each API caller"
expect_exit 0 -- run --json audit --entity referral --id "$referral"
expect_contains "submitted by the IFPI token" "$out" "api:IFPI/rightsholder#"
expect_contains "approved by the AGCOM token" "$out" "api:AGCOM/authority-reviewer#"

kill -TERM "$serve_pid"
rc=0
wait "$serve_pid" || rc=$?
serve_pid=
expect_eq "serve stops cleanly on SIGTERM" "$rc" 0
finish
