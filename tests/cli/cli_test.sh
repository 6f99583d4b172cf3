#!/usr/bin/env bash
# End-to-end scenarios for the `interdict` command line, on a fresh registry in a temp folder.
#   cli_test.sh INTERDICT_BINARY TESTDATA_DIR
source "$(dirname "$0")/lib.sh"
bin=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export INTERDICT_DB=$tmp/registry.db INTERDICT_ACTOR=clerk
run() { "$bin" "$@"; }

echo "== organizations"
expect_exit 0 -- run init
expect_exit 0 -- run org add --kind authority --name INDECOPI
expect_exit 0 -- run org add --kind rightsholder --name IFPI
expect_exit 0 -- run org add --kind isp --name "ISP One"
expect_exit 2 -- run org add --kind rightsholder --name IFPI
expect_contains "duplicate organization" "$err" 'organization "IFPI" already exists'
expect_exit 2 -- run org add --kind pirate --name X
expect_contains "unknown kind" "$err" "expected one of authority, rightsholder"
expect_exit 0 -- run --json org list
expect_eq "organization count" "$(json 'len(d)')" 3

echo "== an order, and what it blocks"
expect_exit 0 -- run order create --body "Tribunale di Milano" --kind court-ruling --ref "RG 1/2026" \
  --expires 2099-01-01 --scope isp,vpn --category torrent --target "*.Pirate-Bay.example." \
  --target "url:https://links.example/dl/*" --target 203.0.113.7 --target cidr:198.51.100.0/24 \
  --target play:com.pirate.app
order1=$out
expect_eq "order create prints an id" "$order1" 1
expect_exit 0 -- run check pirate-bay.example
expect_exit 0 -- run check WWW.PIRATE-BAY.EXAMPLE.
expect_contains "check names the order" "$out" "RG 1/2026"
expect_exit 1 -- run check notpirate-bay.example
expect_exit 0 -- run check https://links.example/dl/movie.torrent
expect_exit 1 -- run check https://links.example/about
expect_exit 0 -- run check 198.51.100.77
expect_exit 1 -- run check 198.51.101.1
expect_exit 0 -- run check play:com.pirate.app
expect_exit 2 -- run check "a..b"
expect_contains "bad value" "$err" "label 2 is empty"
expect_exit 0 -- run --json targets list --in-force
expect_eq "in-force targets" "$(json 'len(d)')" 5
expect_eq "json fields" "$(json 'sorted(d[0].keys())')" \
  "['body', 'in_force', 'kind', 'order_id', 'order_reference', 'value']"
expect_eq "canonical tree" "$(json '[e["value"] for e in d if e["kind"]=="domain-tree"][0]')" "pirate-bay.example"
expect_exit 0 -- run --json targets list --in-force --kind cidr
expect_eq "kind filter" "$(json '[(e["value"], e["order_reference"]) for e in d]')" "[('198.51.100.0/24', 'RG 1/2026')]"
expect_exit 0 -- run --json order create --body B --ref R-default --category torrent --target default-term.example
expect_eq "default expiry: a year after it takes effect" \
  "$(json 'int((__import__("datetime").datetime.fromisoformat(d["expires"].replace("Z","+00:00")) - __import__("datetime").datetime.fromisoformat(d["effective"].replace("Z","+00:00"))).total_seconds())')" 31536000
default_order=$(json 'd["id"]')
expect_exit 2 -- run order renew "$default_order" --expires 2001-01-01 --reason "shorter"
expect_contains "renewal must extend" "$err" "not later than the current expiry"
expect_exit 0 -- run --json order renew "$default_order" --expires 2099-06-01 --reason "extended"
expect_eq "renewed" "$(json 'd["expires"]')" "2099-06-01T00:00:00Z"
expect_exit 0 -- run order lift "$default_order" --reason "test order"

echo "== bounds: a change beyond them is held until repeated with --confirm"
expect_exit 2 -- run --bound-pairs 2 --bound-fraction 0 order create --body B --ref R-bound \
  --category torrent --target b1.example --target b2.example --target b3.example
expect_contains "held" "$err" "held as change 1: order.create"
expect_exit 0 -- run --json held
expect_eq "held list" "$(json '[(c["id"], c["added"], c["confirmed"]) for c in d]')" "[(1, 3, None)]"
expect_exit 1 -- run check b1.example
expect_exit 2 -- run --bound-pairs 2 --bound-fraction 0 order create --body B --ref R-bound \
  --category torrent --target b1.example --target b2.example --confirm 1
expect_contains "a different change" "$err" "is a different change"
expect_exit 0 -- run --bound-pairs 2 --bound-fraction 0 order create --body B --ref R-bound \
  --category torrent --target b1.example --target b2.example --target b3.example --confirm 1
expect_exit 0 -- run check b1.example
expect_exit 0 -- run --json held
expect_eq "nothing held" "$(json 'len(d)')" 0
expect_exit 0 -- run --json held --all
expect_eq "confirmed by" "$(json 'd[0]["confirmed_by"]')" clerk

echo "== address targets lapse unless re-confirmed (a registry of their own)"
lapse() { INTERDICT_DB=$tmp/lapse.db "$bin" "$@"; }
expect_exit 0 -- lapse order create --body B --ref R-ip --category torrent --expires 2099-01-01 \
  --target 203.0.113.7 --target cidr:198.51.100.0/24 --target ip-site.example
expect_exit 0 -- lapse --json order due --days 91
expect_eq "due in 91 days" "$(json 'sorted(e["target"] for e in d)')" "['cidr:198.51.100.0/24', 'ip:203.0.113.7']"
expect_exit 0 -- lapse --json order due --days 80
expect_eq "none due in 80 days" "$(json 'len(d)')" 0
expect_exit 2 -- lapse order reconfirm R-ip --target ip-site.example --reason x
expect_contains "not an address" "$err" "not an address target"
later=$(date -u -d '+60 days' +%Y-%m-%dT%H:%M:%SZ)
expect_exit 0 -- env INTERDICT_NOW="$later" INTERDICT_DB="$tmp/lapse.db" "$bin" --json \
  order reconfirm R-ip --target 203.0.113.7 --reason "still the site's"
expect_eq "reconfirmed" "$(json 'd["reconfirmed"]')" 1
later=$(date -u -d '+100 days' +%Y-%m-%dT%H:%M:%SZ)
expect_exit 0 -- env INTERDICT_NOW="$later" INTERDICT_DB="$tmp/lapse.db" "$bin" --json expire
expect_eq "the network lapses after 100 days, not the re-confirmed address" \
  "$(json '[e["target"] for e in d["lapsed"]]')" "['cidr:198.51.100.0/24']"
expect_exit 1 -- lapse check 198.51.100.77
expect_exit 0 -- lapse check 203.0.113.7
expect_exit 0 -- lapse --json log verify
expect_exit 2 -- run order create --body B --ref R2 --expires 2020-01-01 --category torrent --target x.example
expect_contains "expiry in the past" "$err" "expiry"
expect_exit 2 -- run order create --body B --ref R2 --expires 2099-01-01 --category torrent --target cidr:10.0.0.1/8
expect_contains "host bits" "$err" "10.0.0.0/8"

echo "== dynamic orders take mirrors; fixed ones do not"
expect_exit 2 -- run order add-target "$order1" --target mirror.example
expect_contains "not dynamic" "$err" "not dynamic"
expect_exit 0 -- run order create --body AGCOM --kind administrative-decision --ref "45/26/CSP" \
  --expires 2099-01-01 --category live-sports --dynamic --target calcio-live.example
order2=$out
serial_before=$(run serial)
expect_exit 0 -- run order add-target "45/26/CSP" --target calcio-live2.example --reason mirror
expect_eq "serial after a mirror" "$(run serial)" $((serial_before + 1))
expect_exit 0 -- run check calcio-live2.example

echo "== referrals: evidence, duplicates, withdrawal, review"
printf 'captured page\n' >"$tmp/capture.html"
sha=$(sha256sum "$tmp/capture.html" | cut -d' ' -f1)
expect_exit 0 -- run --json refer --org IFPI --category stream-ripping --target ytmp3.example \
  --target calcio-live.example \
  --evidence "url=https://ytmp3.example/,observed=2026-11-20T10:00:00Z,capture=$tmp/capture.html,note=converter, with commas"
ref1=$(json 'd[0]["id"]')
expect_eq "evidence hash of the capture" "$(json 'd[0]["evidence"][0]["sha256"]')" "$sha"
expect_eq "note keeps commas" "$(json 'd[0]["evidence"][0]["note"]')" "converter, with commas"
expect_contains "duplicate flagged" "$(json 'd[0]["targets"][1].get("duplicate_of","")')" "in force under order $order2"
expect_exit 2 -- run refer --org "ISP One" --category torrent --target x.example
expect_contains "only rightsholders" "$err" "only rightsholders"
cat >"$tmp/referrals.json" <<JSON
{"referrals": [
  {"org": "IFPI", "category": "stream-ripping", "targets": ["ytmp3.example", "rip2.example"],
   "evidence": [{"url": "https://rip2.example/", "observed": "2026-11-21", "sha256": "$sha"}]},
  {"org": "IFPI", "category": "cyberlocker", "targets": ["locker.example"]}]}
JSON
expect_exit 0 -- run --json refer --file "$tmp/referrals.json"
expect_eq "two referrals from the file" "$(json 'len(d)')" 2
ref2=$(json 'd[0]["id"]')
ref3=$(json 'd[1]["id"]')
expect_contains "already referred" "$(json 'd[0]["targets"][0].get("duplicate_of","")')" "referral $ref1"
sed 's/"cyberlocker"/"warez"/' "$tmp/referrals.json" >"$tmp/bad-referrals.json"
expect_exit 2 -- run refer --file "$tmp/bad-referrals.json"
expect_contains "bad referral named" "$err" "referrals[1]: field \"category\""
expect_exit 0 -- run refer withdraw "$ref3" --reason "sent by mistake"
expect_exit 0 -- run --json review list
expect_eq "open referrals" "$(json 'sorted(r["id"] for r in d)')" "[$ref1, $ref2]"
expect_exit 0 -- run review approve "$ref1" --body INDECOPI --kind precautionary-measure \
  --ref "DDA-7/2026" --expires 2099-06-01 --scope isp,search
expect_exit 0 -- run check ytmp3.example
expect_exit 0 -- run --json refer show "$ref1"
expect_eq "approved" "$(json 'd["state"]')" approved
expect_exit 2 -- run review reject "$ref2"
expect_exit 0 -- run review reject "$ref2" --reason "rip2.example is a shared host"
expect_exit 1 -- run check rip2.example
expect_exit 2 -- run review approve "$ref2" --order "$order2"
expect_contains "decided once" "$err" "rejected"

echo "== lifting, suspension, expiry"
serial_before=$(run serial)
expect_exit 0 -- run order suspend "$order1" --reason "appeal filed"
expect_exit 1 -- run check pirate-bay.example
expect_exit 0 -- run order resume "$order1" --reason "appeal dismissed"
expect_exit 0 -- run check pirate-bay.example
expect_exit 0 -- run order lift "$order1" --reason "court lifted the order"
expect_exit 1 -- run check pirate-bay.example
expect_eq "three serials" "$(run serial)" $((serial_before + 3))
expect_exit 0 -- run --json serial --delta $((serial_before + 3))
expect_eq "lift delta removes five" "$(json 'sorted(set(c["op"] for c in d["changes"])), len(d["changes"])')" "(['remove'], 5)"
expect_exit 0 -- run --json order show "$order1"
expect_eq "lifted with reason" "$(json 'd["state"], d["state_reason"]')" "('lifted', 'court lifted the order')"
expect_exit 0 -- run --json audit --entity order --id "$order1"
expect_eq "audit trail" "$(json '[(a["action"], a["actor"]) for a in d]')" \
  "[('order.create', 'clerk'), ('order.suspend', 'clerk'), ('order.resume', 'clerk'), ('order.lift', 'clerk')]"
# Time passes: in 2100 every order has expired.
expect_exit 1 -- env INTERDICT_NOW=2100-01-01T00:00:00Z "$bin" check calcio-live.example
expect_exit 0 -- run --json order show "$order2"
expect_eq "expired by the sweep" "$(json 'd["state"]')" expired

echo "== import: the 2014 register"
db2=$tmp/register.db
zi=$data/registers/zi-2014-dump.csv
# Expected decisions, counted independently: distinct (body, number, date) after trimming.
want_orders=$(tail -n +2 "$zi" | LC_ALL=C awk -F';' 'NF==6 { for (i=4;i<=6;i++) gsub(/^ +| +$/, "", $i); print $4 ";" $5 ";" $6 }' | sort -u | wc -l)
expect_exit 0 -- run --db "$db2" --json import --format zi-csv "$zi"
expect_eq "records" "$(json 'd["records"]')" 2150
expect_eq "rejected" "$(json 'd["records_rejected"]')" 0
expect_eq "orders" "$(json 'd["orders_created"]')" "$want_orders"
expect_exit 0 -- run --db "$db2" check http://0chan.hk/h/res/214.html
expect_exit 0 -- run --db "$db2" check легально.com
expect_exit 0 -- run --db "$db2" --json targets list --in-force
echo "$out" | python3 -c 'import json,sys; print("\n".join(sorted(set(e["kind"]+" "+e["value"]+" "+e["order_reference"] for e in json.load(sys.stdin)))))' >"$tmp/before.txt"

echo "== the compiled matcher: check --batch, matcher compile/info, check --snapshot"
# Every in-force value checks blocked, in one batch; unrelated names check allowed.
expect_exit 0 -- run --db "$db2" targets list --in-force --kind domain
cut -f2 <<<"$out" | sort -u >"$tmp/domains.txt"
{ cat "$tmp/domains.txt"; echo "not-blocked.example"; echo "a..b"; } >"$tmp/batch.txt"
expect_exit 2 -- run --db "$db2" check --batch <"$tmp/batch.txt"
expect_contains "batch counts the bad line" "$err" "1 value(s) could not be checked"
expect_eq "batch: one line per value" "$(wc -l <<<"$out")" "$(wc -l <"$tmp/batch.txt")"
expect_eq "batch: every in-force domain is blocked" "$(grep -c $'\tblocked\t' <<<"$out")" "$(wc -l <"$tmp/domains.txt")"
expect_contains "batch: allowed line" "$out" $'not-blocked.example\tallowed\t'
expect_contains "batch: error line" "$out" $'a..b\terror\tdomain "a..b": label 2 is empty'
expect_contains "batch: references" "$out" $'0chan.hk\tblocked\t'
expect_exit 0 -- run --db "$db2" check --batch <<<$'0CHAN.HK.\nhttp://0chan.hk/h/res/214.html?x=1'
expect_eq "batch keeps the value as written" "$(cut -f1,2 <<<"$out" | tr '\n' ' ')" \
  $'0CHAN.HK.\tblocked http://0chan.hk/h/res/214.html?x=1\tblocked '
expect_exit 0 -- test -s "$db2.matcher"
expect_exit 0 -- run --db "$db2" matcher compile -o "$tmp/m.snap"
expect_contains "compile reports the serial" "$out" "serial "
expect_exit 0 -- run --json matcher info "$tmp/m.snap"
expect_eq "matcher info: orders" "$(json 'd["orders"] > 900')" True
# The file alone answers, without the registry.
expect_exit 0 -- run --db "$tmp/none.db" check --snapshot "$tmp/m.snap" 0chan.hk
expect_exit 1 -- run --db "$tmp/none.db" check --snapshot "$tmp/m.snap" not-blocked.example
expect_exit 0 -- test ! -e "$tmp/none.db"
# A damaged file is refused with its name.
cp "$tmp/m.snap" "$tmp/bad.snap"
printf 'X' | dd of="$tmp/bad.snap" bs=1 seek=500 conv=notrunc status=none
expect_exit 2 -- run check --snapshot "$tmp/bad.snap" 0chan.hk
expect_contains "damaged matcher named" "$err" "bad.snap: the matcher snapshot is corrupt: checksum mismatch"
head -c 100 "$tmp/m.snap" >"$tmp/short.snap"
expect_exit 2 -- run matcher info "$tmp/short.snap"
expect_contains "truncated matcher" "$err" "shorter than its header"
expect_exit 2 -- run check --batch www.0chan.hk
expect_contains "value and --batch" "$err" "check takes a value, or --batch"

echo "== export and import back: z-i and JSON"
for fmt in zi-csv json csv; do
  expect_exit 0 -- run --db "$db2" export --format "$fmt" -o "$tmp/export.$fmt"
  expect_contains "export summary" "$err" "at serial"
  rm -f "$tmp/back.db"*
  expect_exit 0 -- run --db "$tmp/back.db" import --format "$fmt" --strict "$tmp/export.$fmt"
  expect_exit 0 -- run --db "$tmp/back.db" --json targets list --in-force
  echo "$out" | python3 -c 'import json,sys; print("\n".join(sorted(set(e["kind"]+" "+e["value"]+" "+e["order_reference"] for e in json.load(sys.stdin)))))' >"$tmp/after.txt"
  checks=$((checks + 1))
  cmp -s "$tmp/before.txt" "$tmp/after.txt" || fail "$fmt round trip differs: $(diff "$tmp/before.txt" "$tmp/after.txt" | head -5)"
done
expect_exit 0 -- run --db "$db2" export --format csv
expect_eq "csv header" "$(head -1 <<<"$out")" "kind,value,order_id,body,order_kind,reference,issued,effective,expires,scope,categories,dynamic"

echo "== bad input: reported with file and line; strict imports nothing"
{ head -3 "$zi"; printf '1.2.3.4;;http://bad host/;Court;X-1;2014-01-01\n'; printf 'a;b;c\n'; } >"$tmp/bad.csv"
rm -f "$tmp/bad.db"*
expect_exit 2 -- run --db "$tmp/bad.db" import --format zi-csv --strict "$tmp/bad.csv"
expect_contains "line 4 named" "$err" "bad.csv:4: field 'urls'"
expect_contains "line 5 named" "$err" "bad.csv:5: expected 6 fields"
expect_exit 0 -- run --db "$tmp/bad.db" --json summary
expect_eq "strict imported nothing" "$(json 'd["orders"], d["serial"]')" "(0, 0)"
expect_exit 0 -- run --db "$tmp/bad.db" import --format zi-csv "$tmp/bad.csv"
expect_contains "rejects reported" "$out" "2 records rejected; written to $tmp/bad.csv.rejects"
expect_eq "rejects file keeps the lines" "$(cat "$tmp/bad.csv.rejects")" $'1.2.3.4;;http://bad host/;Court;X-1;2014-01-01\na;b;c'
expect_exit 0 -- run --db "$tmp/bad.db" --json summary
expect_eq "lenient imported the rest" "$(json 'd["orders"]')" 2
expect_exit 2 -- run --db "$tmp/bad.db" import --format dump-xml "$tmp/bad.csv"
expect_contains "not XML" "$err" "bad.csv"
expect_exit 2 -- run --db "$tmp/bad.db" import --format yaml "$tmp/bad.csv"

echo "== signed exports: keys generate, sign, verify (exit 0 valid, 1 invalid, 2 error)"
# None of these commands needs the registry, so none may create one.
sdb=$tmp/sign-none.db
nodb() { "$bin" --db "$sdb" "$@"; }
expect_exit 0 -- nodb keys generate --out "$tmp/authority"
key_id=$out
expect_eq "key id printed" "$(grep -cE '^[0-9a-f]{16}$' <<<"$key_id")" 1
expect_eq "secret key mode" "$(stat -c %a "$tmp/authority.key")" 600
expect_eq "public key file" "$(head -2 "$tmp/authority.pub")" $'interdict-ed25519-public-key v1\nkey-id: '"$key_id"
expect_exit 2 -- nodb keys generate --out "$tmp/authority"
expect_contains "no silent overwrite" "$err" "authority.key already exists"
expect_exit 0 -- nodb --json keys generate --out "$tmp/other"
expect_eq "json key id" "$(json 'len(d["key_id"]), d["public_key"]')" "(16, '$tmp/other.pub')"
feed=$tmp/export.csv
expect_exit 0 -- nodb sign --key "$tmp/authority.key" "$feed"
expect_eq "default signature path" "$out" "$feed.sig"
expect_exit 0 -- nodb verify --pubkey "$tmp/authority.pub" "$feed" "$feed.sig"
expect_eq "valid" "$out" valid
expect_exit 0 -- nodb --json verify --pubkey "$tmp/authority.pub" "$feed"
expect_eq "json verdict" "$(json 'd["valid"], d["key_id"]')" "(True, '$key_id')"
cp "$feed" "$tmp/changed.csv"
printf 'X' | dd of="$tmp/changed.csv" bs=1 seek=100 conv=notrunc status=none
expect_exit 1 -- nodb verify --pubkey "$tmp/authority.pub" "$tmp/changed.csv" "$feed.sig"
expect_contains "changed byte" "$out" "invalid: the document's SHA-256 differs"
expect_exit 1 -- nodb verify --pubkey "$tmp/other.pub" "$feed" "$feed.sig"
expect_contains "other key" "$out" "invalid: the signature names key $key_id"
expect_exit 0 -- nodb sign --key "$tmp/other.key" "$feed" -o "$tmp/other.sig"
expect_exit 1 -- nodb verify --pubkey "$tmp/authority.pub" "$feed" "$tmp/other.sig"
expect_exit 2 -- nodb verify --pubkey "$tmp/authority.pub" "$tmp/missing.csv" "$feed.sig"
expect_contains "missing document" "$err" "cannot open $tmp/missing.csv"
sed 's/^size: .*/size: ten/' "$feed.sig" >"$tmp/bad.sig"
expect_exit 2 -- nodb verify --pubkey "$tmp/authority.pub" "$feed" "$tmp/bad.sig"
expect_contains "malformed signature" "$err" "$tmp/bad.sig:4: size: expected a number of bytes"
expect_exit 2 -- nodb verify --pubkey "$tmp/authority.key" "$feed" "$feed.sig"
expect_contains "secret key as public" "$err" "authority.key:1: this is an interdict secret key file"
expect_exit 2 -- nodb sign --key "$tmp/authority.pub" "$feed"
expect_exit 0 -- test ! -e "$sdb"
# An ISP without interdict: OpenSSL and coreutils, as README.md shows.
printf 'interdict feed signature v1\nsha256: %s\nsize: %s\n' \
  "$(sha256sum <"$feed" | cut -d' ' -f1)" "$(wc -c <"$feed")" >"$tmp/signed-message"
sed -n 's/^signature: //p' "$feed.sig" | base64 -d >"$tmp/sig.bin"
{ printf '\060\052\060\005\006\003\053\145\160\003\041\000'; sed -n 's/^public: //p' "$tmp/authority.pub" | base64 -d; } |
  openssl pkey -pubin -inform DER -out "$tmp/authority.pem"
expect_exit 0 -- openssl pkeyutl -verify -pubin -inkey "$tmp/authority.pem" -rawin \
  -in "$tmp/signed-message" -sigfile "$tmp/sig.bin"
expect_eq "key id by hand" "$(sed -n 's/^public: //p' "$tmp/authority.pub" | base64 -d | sha256sum | cut -c1-16)" "$key_id"
printf 'interdict feed signature v1\nsha256: %s\nsize: %s\n' \
  "$(sha256sum <"$tmp/changed.csv" | cut -d' ' -f1)" "$(wc -c <"$tmp/changed.csv")" >"$tmp/signed-message"
expect_exit 1 -- openssl pkeyutl -verify -pubin -inkey "$tmp/authority.pem" -rawin \
  -in "$tmp/signed-message" -sigfile "$tmp/sig.bin"

echo "== feeds: export --view in feed formats, --since deltas, signatures"
fv_db=$tmp/feeds.db
fv() { "$bin" --db "$fv_db" "$@"; }
expect_exit 0 -- fv order create --body "Court A" --kind court-ruling --ref F-1 --expires 2099-01-01 \
  --scope isp,vpn --category torrent --target example.com --target '*.example.org' \
  --target 192.0.2.0/24 --target 2001:db8::1 --target url:https://example.net/x
expect_exit 0 -- fv serial
fv_s1=$out
expect_exit 0 -- fv export --view isp --format rpz -o "$tmp/feed1.zone"
expect_contains "rpz counts what it cannot express" "$err" "note: 1 url target not expressible in rpz"
expect_contains "rpz header names the serial" "$(cat "$tmp/feed1.zone")" $'; view: isp\n; serial: '"$fv_s1"
expect_eq "rpz zone" "$(grep -v '^;' "$tmp/feed1.zone")" "\$ORIGIN rpz.interdict.invalid.
\$TTL 300
@ SOA localhost. hostmaster.localhost. $fv_s1 60 60 864000 60
@ NS localhost.
*.example.org CNAME .
128.1.zz.db8.2001.rpz-ip CNAME .
24.0.2.0.192.rpz-ip CNAME .
example.com CNAME .
example.org CNAME ."
expect_exit 0 -- fv order create --body "Court B" --kind court-ruling --ref F-2 --expires 2099-01-01 \
  --scope isp --category torrent --target new.example --target example.com
expect_exit 0 -- fv order lift F-1 --reason "appeal won"
expect_exit 0 -- fv serial
fv_s3=$out
# example.com stays (F-2 names it too); everything only F-1 named leaves.
expect_exit 0 -- fv export --view isp --format rpz --since "$fv_s1"
expect_eq "rpz delta as nsupdate input" "$(grep -v '^;' <<<"$out")" "zone rpz.interdict.invalid.
update delete *.example.org.rpz.interdict.invalid. CNAME
update delete 128.1.zz.db8.2001.rpz-ip.rpz.interdict.invalid. CNAME
update delete 24.0.2.0.192.rpz-ip.rpz.interdict.invalid. CNAME
update delete example.org.rpz.interdict.invalid. CNAME
update add new.example.rpz.interdict.invalid. 300 CNAME .
update add rpz.interdict.invalid. 300 SOA localhost. hostmaster.localhost. $fv_s3 60 60 864000 60
send"
expect_contains "delta header" "$out" $'; from serial: '"$fv_s1"$'\n; serial: '"$fv_s3"
expect_contains "delta summary" "$err" "delta from serial $fv_s1 to $fv_s3"
expect_exit 0 -- fv export --view isp --format domains
expect_eq "domains" "$(grep -v '^#' <<<"$out")" $'example.com\nnew.example'
expect_exit 0 -- fv export --view isp --format domains --since "$fv_s1"
expect_eq "domains delta" "$(grep -v '^#' <<<"$out")" $'-*.example.org\n+new.example'
expect_exit 0 -- fv export --view vpn --format json
expect_eq "vpn view emptied" "$(json 'd["view"], d["serial"], len(d["entries"])')" "('vpn', $fv_s3, 0)"
expect_exit 0 -- fv export --view isp --format rpz --zone blocked.isp.example --notice-host notice.example
expect_contains "zone name" "$out" $'$ORIGIN blocked.isp.example.\n'
expect_contains "notice host" "$out" $'\nnew.example CNAME notice.example.'
for fmt in hosts unbound nft ipset bird csv json zi-csv; do
  expect_exit 0 -- fv export --view isp --format "$fmt" -o "$tmp/feed.$fmt"
  expect_exit 0 -- fv export --view isp --format "$fmt" --since 0 -o "$tmp/feed-delta.$fmt"
done
expect_exit 2 -- fv export --view isp --format rpz --since $((fv_s3 + 1))
expect_contains "since after the serial" "$err" "--since $((fv_s3 + 1)) is after the registry's serial $fv_s3"
expect_exit 2 -- fv export --view dns --format rpz
expect_contains "unknown view" "$err" 'unknown view "dns" (isp, vpn, search, appstore)'
expect_exit 2 -- fv export --view isp --format yaml
expect_contains "unknown feed format" "$err" 'unknown feed format "yaml"'
expect_exit 2 -- fv export --format rpz
expect_contains "feed formats need a view" "$err" 'unknown export format "rpz"'
expect_exit 2 -- fv export --format csv --since 1
expect_contains "--since needs --view" "$err" "need --view"
expect_exit 2 -- fv export --view isp --format nft --zone x.example
expect_contains "--zone is for rpz" "$err" "apply to --format rpz"
# Signed and reproducible: the same view and serial give the same bytes and the same signature.
expect_exit 0 -- fv keys generate --out "$tmp/feedkey"
expect_exit 0 -- fv export --view isp --format rpz -o "$tmp/signed1.zone" --sign "$tmp/feedkey.key"
expect_contains "signature written" "$err" "signed: $tmp/signed1.zone.sig"
expect_exit 0 -- fv verify --pubkey "$tmp/feedkey.pub" "$tmp/signed1.zone" "$tmp/signed1.zone.sig"
expect_eq "feed signature valid" "$out" valid
expect_exit 0 -- fv export --view isp --format rpz -o "$tmp/signed2.zone" --sign "$tmp/feedkey.key"
expect_exit 0 -- cmp "$tmp/signed1.zone" "$tmp/signed2.zone"
expect_exit 0 -- cmp "$tmp/signed1.zone.sig" "$tmp/signed2.zone.sig"
expect_exit 0 -- fv export --format csv -o "$tmp/signed.csv" --sign "$tmp/feedkey.key"
expect_exit 0 -- fv verify --pubkey "$tmp/feedkey.pub" "$tmp/signed.csv" "$tmp/signed.csv.sig"
expect_exit 2 -- fv export --view isp --format rpz --sign "$tmp/feedkey.key"
expect_contains "--sign needs a file" "$err" "--sign needs -o FILE"


echo "== access tokens, acknowledgements, overdue items"
ac_db=$tmp/access.db
ac() { env INTERDICT_NOW=2026-10-01T10:00:00Z "$bin" --db "$ac_db" "$@"; }
ac_late() { env INTERDICT_NOW=2026-10-01T11:00:00Z "$bin" --db "$ac_db" "$@"; }
expect_exit 0 -- ac org add --kind isp --name "ISP One"
expect_exit 0 -- ac org add --kind rightsholder --name IFPI
expect_exit 0 -- ac order create --body AGCOM --ref L1 --expires 2099-01-01 --category live-sports \
  --scope isp --target live.example --target 203.0.113.9
expect_exit 0 -- ac token create --org "ISP One" --role isp --label sync
expect_eq "secret shape" "$(grep -cE '^idt_[0-9a-f]{64}$' <<<"$out")" 1
expect_contains "shown once" "$err" "will not be shown again"
secret=$out
expect_exit 2 -- ac token create --org IFPI --role isp
expect_contains "role must fit the org" "$err" "role: a token with role isp"
expect_exit 2 -- ac token create --org "ISP One" --role root
expect_contains "unknown role" "$err" "--role: unknown role"
expect_exit 0 -- ac --json token list
expect_eq "token listed" "$(json '[(t["id"], t["org"], t["role"], t["revoked"]) for t in d]')" "[(1, 'ISP One', 'isp', None)]"
expect_eq "no secret in the list" "$(grep -c "${secret#idt_}" <<<"$out")" 0
expect_exit 0 -- ac token revoke 1
expect_exit 2 -- ac token revoke 1
expect_contains "revoked once" "$err" "was revoked"
expect_exit 0 -- ac ack --org "ISP One" --scope isp --order L1 --target live.example
expect_exit 2 -- ac ack --org "ISP One" --scope isp --order L1 --target 203.0.113.9 --target nope.example \
  --unprocessed technical-error
expect_contains "bad target named" "$err" "nope.example is not in force under order 1"
expect_exit 2 -- ac ack --org IFPI --scope isp --order L1 --target live.example
expect_contains "only intermediaries" "$err" "only isp, search, appstore and vpn"
expect_exit 0 -- ac_late --json overdue
expect_eq "overdue after 30 minutes" "$(json '[(i["org"], i["value"], i["deadline"], i["status"]) for i in d]')" \
  "[('ISP One', '203.0.113.9', '2026-10-01T10:30:00Z', 'none')]"
expect_exit 0 -- ac ack --org "ISP One" --scope isp --order L1 --target 203.0.113.9 --unprocessed technical-error --note router
expect_exit 0 -- ac_late --json overdue --summary
expect_eq "overdue summary" "$(json 'd["total"], d["by_org"][0]["unprocessed"]')" "(1, 1)"
expect_exit 0 -- ac ack --org 1 --scope isp --order 1 --target 203.0.113.9
expect_exit 0 -- ac_late --json overdue --org "ISP One" --order L1
expect_eq "nothing overdue once processed" "$(json 'len(d)')" 0
expect_exit 0 -- ac --json audit
expect_eq "audited" "$(json 'sorted({e["action"] for e in d if e["action"].startswith(("token", "order.ack"))})')" \
  "['order.acknowledge', 'token.create', 'token.revoke']"

echo "== serve --http-listen: feeds over HTTP with a token, ETag and 304, following the CLI"
expect_exit 0 -- ac token create --org "ISP One" --role isp --label http
http_secret=$out
"$bin" --db "$ac_db" serve --http-listen 127.0.0.1:0 --poll-ms 20 >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
for _ in $(seq 100); do grep -q '^http ' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
http_port=$(awk '/^http /{print $2}' "$tmp/serve.out")
# get PATH [ETAG]: prints "STATUS ETAG" then the body
get() {
  /usr/bin/python3 - "$http_port" "$http_secret" "$1" "${2:-}" <<'PY'
import sys, urllib.request, urllib.error
port, token, path, etag = sys.argv[1:5]
req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": "Bearer " + token})
if etag:
    req.add_header("If-None-Match", etag)
try:
    r = urllib.request.urlopen(req, timeout=5)
    print(r.status, r.headers.get("ETag")); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("ETag")); print(e.read().decode())
PY
}
resp=$(get '/feeds/isp/snapshot?format=domains')
expect_eq "feed served" "$(head -1 <<<"$resp" | cut -d' ' -f1)" 200
expect_contains "feed body" "$resp" "live.example"
etag=$(head -1 <<<"$resp" | cut -d' ' -f2)
expect_eq "unchanged feed is 304" "$(get '/feeds/isp/snapshot?format=domains' "$etag" | head -1 | cut -d' ' -f1)" 304
expect_exit 0 -- ac order create --body AGCOM --ref L2 --expires 2099-01-01 --category torrent --scope isp \
  --target mirror.example
for _ in $(seq 100); do
  resp=$(get '/feeds/isp/snapshot?format=domains' "$etag")
  [[ $(head -1 <<<"$resp" | cut -d' ' -f1) == 200 ]] && break
  sleep 0.05
done
expect_contains "the feed follows the CLI" "$resp" "mirror.example"
expect_eq "another token's role is checked" "$(http_secret=idt_$(printf '0%.0s' {1..64}) get /api/v1/fqdn/get/all/txt | head -1 | cut -d' ' -f1)" 401
kill -TERM "$serve_pid"
serve_rc=0
wait "$serve_pid" || serve_rc=$?
expect_eq "serve stops cleanly on SIGTERM" "$serve_rc" 0

echo "== serve --config FILE: options from a TOML file, flags override it, errors name the file"
# serve_start NAME ARGS...: runs "$bin" ARGS in the background (stdout and stderr in
# $tmp/NAME.out and .err) and waits for the HTTP port it prints.
serve_start() {
  local name=$1
  shift
  "$bin" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  serve_pid=$!
  for _ in $(seq 100); do grep -q '^http ' "$tmp/$name.out" 2>/dev/null && break; sleep 0.1; done
  http_port=$(awk '/^http /{print $2}' "$tmp/$name.out")
}
serve_stop() {  # serve_stop WHAT
  kill -TERM "$serve_pid"
  local rc=0
  wait "$serve_pid" || rc=$?
  expect_eq "$1 stops cleanly on SIGTERM" "$rc" 0
}
# The registry comes from the file (db, at the top): $INTERDICT_DB names another one, where the
# token does not exist.
printf '%s\n' '# serve for the tests' "db = \"$ac_db\"" '' '[serve]' \
  'http-listen = "127.0.0.1:0"   # any free port, printed' 'poll-ms = 20' 'log-format = "json"' \
  'zone = ["isp=rpz.cfg.example.", "vpn=rpz.vpn.cfg.example."]' >"$tmp/serve.toml"
serve_start cfg --config "$tmp/serve.toml" serve
expect_contains "serve listens where the file says" "$(cat "$tmp/cfg.out")" "http "
resp=$(get '/feeds/isp/snapshot?format=domains')
expect_eq "serve from the file's registry" "$(head -1 <<<"$resp" | cut -d' ' -f1)" 200
expect_contains "the file's registry" "$resp" "live.example"
expect_contains "the file's zone name" "$(get '/feeds/isp/snapshot?format=rpz')" "rpz.cfg.example."
# A path with a quote, a backslash and bytes that are not UTF-8 must still log valid JSON.
python3 - "$http_port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b'GET /odd"\\\xff\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
s.recv(100)
PY
serve_stop "serve --config"
# Every line on standard error is a JSON object, and the request above has its access line.
json_log_check() {  # json_log_check FILE: prints ok, or what is wrong
  python3 -c '
import json, re, sys
lines = [json.loads(l) for l in sys.stdin]
assert lines, "no lines"
for d in lines:
    assert isinstance(d, dict) and {"ts", "level", "event"} <= d.keys(), d
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d["ts"]), d
    assert d["level"] in ("info", "warn", "error"), d
assert any(d["event"] == "access" and d.get("method") == "GET" and
           d.get("path") == "/feeds/isp/snapshot" and d.get("status") == 200 and
           isinstance(d.get("bytes"), int) and isinstance(d.get("us"), int) and
           d.get("remote") == "127.0.0.1" for d in lines), "no access line for the request"
assert any(d["event"] == "http.start" and "msg" in d for d in lines), "no http.start event"
assert any(d["event"] == "access" and d["path"] == "/odd\"\\\ufffd\u00e9" for d in lines), "odd path"
print("ok")' <"$1" 2>&1 | tail -1
}
expect_eq "--log-format json: one JSON object per line, with the access line" \
  "$(json_log_check "$tmp/cfg.err")" ok
# A flag on the command line (after the subcommand here) overrides the file.
serve_start over serve --config "$tmp/serve.toml" --log-format text --poll-ms 30
expect_eq "overridden: still serving" \
  "$(get '/feeds/isp/snapshot?format=domains' | head -1 | cut -d' ' -f1)" 200
serve_stop "serve --config with flags"
expect_eq "--log-format text overrides the file: no JSON" "$(grep -c '^{' "$tmp/over.err")" 0
access_re='^[0-9-]{10}T[0-9:.]{12}Z ts=[0-9-]{10}T[0-9:.]{12}Z method=GET path=/feeds/isp/snapshot'
access_re+=' status=200 bytes=[0-9]+ us=[0-9]+ remote=127\.0\.0\.1$'
expect_eq "text access line as before" "$(grep -cE "$access_re" "$tmp/over.err")" 1
expect_eq "json_log_check fails on text" "$(json_log_check "$tmp/over.err" | grep -c '^ok$')" 0
serve_start quiet --config "$tmp/serve.toml" serve --access-log off
get /healthz >/dev/null
serve_stop "serve --access-log off"
expect_eq "--access-log off: no access line" "$(grep -c '"access"' "$tmp/quiet.err")" 0
expect_contains "--access-log off: events still logged" "$(cat "$tmp/quiet.err")" '"event":"http.start"'
# Errors: exit 2, nothing started (no port printed), the file (and line) named. timeout: a
# serve that wrongly starts fails the check instead of hanging the test.
expect_exit 2 -- timeout 10 "$bin" --config "$tmp/missing.toml" serve
expect_contains "missing file named" "$err" "$tmp/missing.toml"
expect_eq "missing file: nothing started" "$out" ""
printf '[serve]\nhttp-listen = "127.0.0.1:0"\nrat = 5\n' >"$tmp/bad-key.toml"
expect_exit 2 -- timeout 10 "$bin" serve --config "$tmp/bad-key.toml"
expect_contains "unknown key named with its line" "$err" "$tmp/bad-key.toml:3: unknown key serve.rat"
expect_eq "unknown key: nothing started" "$out" ""
printf 'http-listen = "127.0.0.1:0"\n' >"$tmp/bad-place.toml"
expect_exit 2 -- timeout 10 "$bin" --config "$tmp/bad-place.toml" serve
expect_contains "a serve key at the top" "$err" \
  "bad-place.toml:1: unknown key http-listen (an option of serve"
printf '[serve]\nhttp-listen = "127.0.0.1:0"\n\npoll-ms = 0\n' >"$tmp/bad-value.toml"
expect_exit 2 -- timeout 10 "$bin" --config "$tmp/bad-value.toml" serve
expect_contains "bad value named with its line" "$err" \
  "$tmp/bad-value.toml:4: serve.poll-ms: --poll-ms"
expect_eq "bad value: nothing started" "$out" ""
printf '[serve]\nhttp-listen = "127.0.0.1:0"\nzone = ["isp=rpz.example.", "nope=x."]\n' \
  >"$tmp/bad-zone.toml"
expect_exit 2 -- timeout 10 "$bin" --config "$tmp/bad-zone.toml" serve
expect_contains "bad zone named" "$err" "bad-zone.toml:3: serve.zone: --zone: nope=x.: unknown view"
expect_exit 2 -- timeout 10 "$bin" --config "$tmp/bad-value.toml" serve --poll-ms 0
expect_contains "a bad flag is the command line's" "$err" "--poll-ms: Value 0"
expect_eq "a bad flag is not blamed on the file" "$(grep -c bad-value.toml <<<"$err")" 0
# The documented example is a valid config file (--help runs after the file is read).
expect_exit 0 -- "$bin" --config "$(dirname "$0")/../../docs/serve.example.toml" serve --help
expect_contains "help mentions the config file" "$out" "docs/serve.example.toml"

echo "== the collateral-damage guard: CDN ranges, public suffixes, overrides"
expect_exit 0 -- run ranges import "$data/ranges/cloudflare.txt" "$data/ranges/github.txt"
expect_contains "ranges imported" "$out" "ranges cloudflare:"
printf '# bad\n104.16.0.0/13\n10.0.0/8\n' >"$tmp/bad-ranges.txt"
expect_exit 2 -- run ranges import "$tmp/bad-ranges.txt"
expect_contains "bad range line named" "$err" "bad-ranges.txt:3"
expect_exit 0 -- run --json guard list
expect_eq "two range sets" "$(json '[s["name"] for s in d]')" "['cloudflare', 'github']"
expect_exit 2 -- run order create --body "Juzgado" --ref "MD-1" --category live-sports --target 104.16.1.1
expect_contains "refused, naming the provider" "$err" "cloudflare range 104.16.0.0/13"
expect_exit 1 -- run guard check 104.16.1.1 '*.github.io' clear-site.example
expect_contains "guard check says why" "$out" "public-suffix"
expect_contains "clear target" "$out" $'domain:clear-site.example\tclear'
expect_exit 2 -- run guard override '*.github.io' --reason "no"
expect_contains "public suffixes are never overridden" "$err" "never ordered"
expect_exit 0 -- run guard override 104.16.1.1 --reason "dedicated address, confirmed with the host"
expect_exit 0 -- run order create --body "Juzgado" --ref "MD-1" --category live-sports --target 104.16.1.1
expect_exit 0 -- run --json guard overrides
expect_eq "overrides are listed" "$(json '[(o["target"], o["reason"]) for o in d]')" \
  "[('ip:104.16.1.1', 'dedicated address, confirmed with the host')]"

echo "== the transparency log: heads, proofs, verification, tampering caught"
# Every order event so far is in the log; nothing signed it (no --log-key).
expect_exit 2 -- run log head
expect_contains "no head yet" "$err" "no signed head yet"
expect_exit 0 -- run --json log head --key "$tmp/authority.key"
log_size=$(json 'd["size"]')
expect_eq "the head covers the whole log" "$(json 'd["log_size"]')" "$log_size"
expect_exit 0 -- run log head
printf '%s' "$out" >"$tmp/head-old.txt"
expect_contains "tree head format" "$out" "interdict-tree-head v1"
# A change made with --log-key signs its own head.
expect_exit 0 -- run --log-key "$tmp/authority.key" --json order create --body "Court" --ref LOG-1 \
  --category torrent --target log-one.example
log_order=$(json 'd["id"]')
expect_exit 0 -- run log head
printf '%s' "$out" >"$tmp/head-new.txt"
expect_exit 0 -- run --json log head
expect_eq "a signed head per change" "$(json 'd["size"]')" "$((log_size + 1))"
expect_exit 0 -- run --json log entries --from "$log_size"
expect_eq "the new entry" "$(json 'd["event"]["event"] + " " + d["event"]["order"]["reference"]')" \
  "order.create LOG-1"
expect_exit 0 -- run log prove --index 0
expect_contains "inclusion proof format" "$out" "interdict-inclusion-proof v1"
expect_exit 0 -- run log verify --pubkey "$tmp/authority.pub" --old-head "$tmp/head-old.txt" \
  --new-head "$tmp/head-new.txt"
expect_contains "a clean log" "$out" "valid: $((log_size + 1)) entries"
expect_exit 0 -- run export --format json -o "$tmp/export.json"
expect_exit 0 -- run log verify --export "$tmp/export.json"
expect_exit 1 -- run log verify --pubkey "$tmp/other.pub"
expect_contains "another key" "$out" "tree head of size"
expect_exit 2 -- run log verify --old-head "$tmp/head-old.txt" --new-head "$tmp/head-new.txt"
expect_contains "heads need a key" "$err" "with --pubkey"
# Someone with the database file edits an order: verification names it and the entry.
sqlite3 "$INTERDICT_DB" "UPDATE orders SET reference = 'LOG-1-edited' WHERE id = $log_order"
expect_exit 1 -- run log verify --pubkey "$tmp/authority.pub"
expect_contains "edited order named" "$out" \
  "order $log_order (LOG-1-edited): reference is \"LOG-1-edited\" in the register but \"LOG-1\" in log entry $log_size"
sqlite3 "$INTERDICT_DB" "UPDATE orders SET reference = 'LOG-1' WHERE id = $log_order"
expect_exit 0 -- run log verify --pubkey "$tmp/authority.pub"
# ... or deletes an event, dropping the trigger that refuses it.
sqlite3 "$INTERDICT_DB" "DROP TRIGGER translog_append_only_d; DROP TRIGGER translog_next;
  DELETE FROM translog WHERE idx = 1"
expect_exit 1 -- run log verify --pubkey "$tmp/authority.pub"
expect_contains "deleted entry named" "$out" "log entry 1 is missing"

echo "== appeals: filed, listed, decided (lift-targets); the in-force set follows; the register and the 451 page"
ap_db=$tmp/appeals.db
ap() { "$bin" --db "$ap_db" "$@"; }
expect_exit 0 -- ap org add --kind authority --name INDECOPI
expect_exit 0 -- ap order create --body INDECOPI --ref "AP-1/2026" --expires 2099-01-01 --category torrent \
  --target pirate.example --target shared-host.example --target 198.51.100.7
ap_order=$out
expect_exit 0 -- ap appeal file --order "AP-1/2026" --target Shared-Host.Example. --party collateral \
  --name "Shared Host Ltd" --contact abuse@shared-host.example --statement "We host 400 other sites there."
appeal1=$out
expect_eq "appeal file prints an id" "$appeal1" 1
expect_exit 2 -- ap appeal file --order "AP-1/2026" --party operator --name X --contact nobody --statement x
expect_contains "bad contact named" "$err" "contact: expected an e-mail address"
expect_exit 2 -- ap appeal file --order "AP-1/2026" --target other.example --party host --name X \
  --contact a@b.example --statement x
expect_contains "target not in the order" "$err" "target: domain:other.example is not a target of order $ap_order"
expect_exit 2 -- ap appeal file --order "AP-1/2026" --party judge --name X --contact a@b.example --statement x
expect_contains "bad party" "$err" "--party: unknown party"
expect_exit 0 -- ap --json appeal list --order "AP-1/2026"
expect_eq "appeal listed" "$(json '[(a["id"], a["state"], a["target"], a["party"]) for a in d]')" \
  "[($appeal1, 'filed', 'domain:shared-host.example', 'collateral')]"
expect_exit 0 -- ap appeal list --state filed
expect_contains "text list" "$out" $'\tfiled\t'"$ap_order AP-1/2026"$'\tdomain:shared-host.example\tcollateral\tShared Host Ltd'
serial_before=$(ap serial)
expect_exit 0 -- ap check shared-host.example
expect_exit 0 -- ap --json appeal decide "$appeal1" --decision lift-targets --reason "collateral: shared hosting"
expect_eq "decided" "$(json 'd["state"], d["lifted_targets"], d["decided_by"]')" \
  "('partly-lifted', ['domain:shared-host.example'], 'clerk')"
expect_eq "one serial for the decision" "$(ap serial)" $((serial_before + 1))
expect_exit 0 -- ap --json serial --delta $((serial_before + 1))
expect_eq "the delta removes the lifted target" "$(json '[(c["op"], c["value"], c["order_id"]) for c in d["changes"]]')" \
  "[('remove', 'shared-host.example', $ap_order)]"
expect_exit 1 -- ap check shared-host.example
expect_exit 0 -- ap check pirate.example
expect_exit 0 -- ap --json targets list --in-force
expect_eq "in-force set after the decision" "$(json 'sorted(e["value"] for e in d)')" "['198.51.100.7', 'pirate.example']"
expect_exit 0 -- ap export --view isp --format domains
expect_eq "the feed follows" "$(grep -v '^#' <<<"$out")" "pirate.example"
expect_exit 2 -- ap appeal decide "$appeal1" --decision uphold --reason "second look"
expect_contains "a decision is final" "$err" "a decision is final"
expect_exit 0 -- ap --json appeal show "$appeal1"
expect_eq "the authority sees the contact" "$(json 'd["contact"], d["reason"]')" \
  "('abuse@shared-host.example', 'collateral: shared hosting')"
expect_exit 0 -- ap --json order show "$ap_order"
expect_eq "the order shows what was lifted" "$(json '[t["value"] for t in d["lifted_targets"]], len(d["targets"])')" \
  "(['shared-host.example'], 2)"
expect_exit 0 -- ap --json audit --entity appeal --id "$appeal1"
expect_eq "appeal audited" "$(json '[(a["action"], a["actor"]) for a in d]')" \
  "[('appeal.file', 'clerk'), ('appeal.decide', 'clerk')]"
expect_exit 0 -- ap --json audit --entity order --id "$ap_order"
expect_eq "order audited" "$(json '[a["action"] for a in d][-1]')" "order.lift-targets"
# The same registry served: the register, a public appeal over HTTP, and the 451 notice page.
serve_start appeals --db "$ap_db" serve --http-listen 127.0.0.1:0 --notice-listen 127.0.0.1:0 \
  --notice-intermediary "ISP One" --access-log off
for _ in $(seq 50); do grep -q '^notice ' "$tmp/appeals.out" 2>/dev/null && break; sleep 0.1; done
notice_port=$(awk '/^notice /{print $2}' "$tmp/appeals.out")
# http_ask PORT METHOD PATH [HOST [BODY]]: prints "STATUS REASON|LINK" then the body
http_ask() {
  python3 - "$@" <<'PY'
import sys, http.client
port, method, path = sys.argv[1:4]
headers = {"Host": sys.argv[4]} if len(sys.argv) > 4 and sys.argv[4] else {}
body = sys.argv[5] if len(sys.argv) > 5 else None
if body is not None:
    headers["Content-Type"] = "application/json"
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
c.request(method, path, body=body, headers=headers)
r = c.getresponse()
print(r.status, r.reason + "|" + (r.getheader("Link") or ""))
print(r.read().decode())
PY
}
resp=$(http_ask "$notice_port" GET /watch?v=1 PIRATE.EXAMPLE:80)
expect_eq "notice: a blocked host is 451, blocked-by the register by default" "$(head -1 <<<"$resp")" \
  "451 Unavailable For Legal Reasons|<http://127.0.0.1:$http_port/register>; rel=\"blocked-by\""
expect_eq "notice: a name under an exact rule is not blocked" \
  "$(http_ask "$notice_port" GET / www.pirate.example | head -1 | cut -d' ' -f1)" 404
expect_contains "notice names the order" "$resp" "Order AP-1/2026, issued by INDECOPI on"
expect_contains "notice names the intermediary" "$resp" "ISP One has blocked access to pirate.example"
expect_contains "notice names the authority" "$resp" "kept by INDECOPI"
expect_eq "notice: a lifted target is 404" "$(http_ask "$notice_port" GET / shared-host.example | head -1 | cut -d' ' -f1)" 404
resp=$(http_ask "$http_port" GET "/register/orders/$ap_order")
expect_eq "register page" "$(head -1 <<<"$resp" | cut -d' ' -f1)" 200
expect_contains "register shows the lifted target" "$resp" "Lifted on appeal"
resp=$(http_ask "$http_port" POST /v1/appeals "" \
  "{\"order_id\": $ap_order, \"party\": \"operator\", \"name\": \"Op\", \"contact\": \"op@pirate.example\", \"statement\": \"licensed\"}")
expect_eq "public appeal over HTTP" "$(head -1 <<<"$resp" | cut -d' ' -f1)" 201
serve_stop "serve --notice-listen"
expect_exit 0 -- ap --json appeal list --state filed
expect_eq "the HTTP appeal is in the registry" "$(json '[(a["name"], a["target"]) for a in d]')" "[('Op', None)]"

echo "== compliance probes: audit submit, audit report, audit runs"
co_db=$tmp/compliance.db
co() { env INTERDICT_NOW=2026-10-01T10:00:00Z "$bin" --db "$co_db" "$@"; }
co_late() { env INTERDICT_NOW=2026-10-01T11:00:00Z "$bin" --db "$co_db" "$@"; }
expect_exit 0 -- co org add --kind isp --name "ISP One"
expect_exit 0 -- co org add --kind isp --name "ISP Two"
expect_exit 0 -- co org add --kind rightsholder --name IFPI
expect_exit 0 -- co order create --body AGCOM --ref L1 --expires 2099-01-01 --category live-sports \
  --scope isp --target live.example --target 203.0.113.9
expect_exit 0 -- co order create --body Court --ref R1 --expires 2099-01-01 --category torrent \
  --scope isp --target films.example --target play:com.pirate.app
# As `audit run --output` writes them: one result per line (a blank line is skipped).
printf '%s\n' \
  '{"target":"domain:live.example","verdict":"accessible","measured_at":"2026-10-01T09:55:00Z","evidence":{"http":{"status":200}}}' \
  '{"target":"ip:203.0.113.9","verdict":"blocked-ip","measured_at":"2026-10-01T09:56:00Z"}' \
  '' \
  '{"target":"gone.example","verdict":"down","measured_at":"2026-10-01T09:57:00Z","evidence":{}}' \
  >"$tmp/probe1.jsonl"
expect_exit 0 -- co audit submit "$tmp/probe1.jsonl" --vantage "ISP One" --label lima-1
expect_eq "submitted" "$out" "run 1: 3 results for ISP One (1 not in force)"
# A bad line: the file and the line named, nothing written.
printf '%s\n' '{"target":"films.example","verdict":"blocked-dns","measured_at":"2026-10-01T09:58:00Z"}' \
  '{"target":"films.example","verdict":"blocked","measured_at":"2026-10-01T09:58:00Z"}' \
  >"$tmp/probe-bad.jsonl"
expect_exit 2 -- co audit submit "$tmp/probe-bad.jsonl" --vantage "ISP One"
expect_contains "bad verdict named with its line" "$err" \
  "probe-bad.jsonl:2: verdict: unknown verdict \"blocked\""
printf '%s\n' '{"target":"films.example","verdict":"down","measured":"2026-10-01T09:58:00Z"}' \
  >"$tmp/probe-bad2.jsonl"
expect_exit 2 -- co audit submit "$tmp/probe-bad2.jsonl" --vantage "ISP One"
expect_contains "unknown field named with its line" "$err" "probe-bad2.jsonl:1: measured: is not a field"
expect_exit 2 -- co audit submit "$tmp/probe1.jsonl" --vantage IFPI
expect_contains "the vantage must be an ISP" "$err" 'vantage: "IFPI" is of kind rightsholder, not an isp'
expect_exit 2 -- co audit submit "$tmp/probe1.jsonl" --vantage "ISP Three"
expect_contains "an unknown ISP" "$err" 'vantage: there is no organization "ISP Three"'
expect_exit 0 -- co --json audit runs
expect_eq "one run only" \
  "$(json '[(r["id"], r["vantage"], r["label"], r["results"], r["not_in_force"], r["submitted_by"]) for r in d]')" \
  "[(1, 'ISP One', 'lima-1', 3, 1, None)]"
# Still accessible after the live-sports deadline (30 minutes): late.
printf '%s\n' '{"target":"live.example","verdict":"accessible","measured_at":"2026-10-01T10:45:00Z"}' \
  >"$tmp/probe2.jsonl"
expect_exit 0 -- co_late audit submit "$tmp/probe2.jsonl" --vantage "#1" --serial 2
expect_exit 0 -- co_late --json audit report
expect_eq "per ISP" \
  "$(json '[(i["isp"], i["targets"], i["verdicts"]["accessible"], i["blocked"], i["not_measured"], i["late"], i["not_in_force"]["down"]) for i in d["isps"]]')" \
  "[('ISP One', 3, 1, 1, 1, 1, 1), ('ISP Two', 3, 0, 0, 3, 0, 0)]"
expect_eq "per order" \
  "$(json '[(o["order_reference"], o["isp"], o["items"], o["not_measured"], o["late"]) for o in d["orders"]]')" \
  "[('L1', 'ISP One', 2, 0, 1)]"
expect_eq "late items" \
  "$(json '[(l["isp"], l["order_reference"], l["target"], l["deadline"], l["measured"]) for l in d["late"]]')" \
  "[('ISP One', 'L1', 'domain:live.example', '2026-10-01T10:30:00Z', '2026-10-01T10:45:00Z')]"
expect_exit 0 -- co_late audit report --isp "ISP Two" --order R1
expect_contains "text report" "$out" "ISP Two        1"
expect_contains "text report: late" "$out" "late items (accessible, measured after their deadline): 0"
expect_exit 2 -- co audit report --isp IFPI
expect_contains "report: not an ISP" "$err" 'isp: "IFPI" is of kind rightsholder'
expect_exit 2 -- co audit report --order R9
expect_contains "report: unknown order" "$err" "--order: there is no order"
# `audit` alone still lists the trail, with its own options.
expect_exit 0 -- co --json audit --entity audit-run --id 2
expect_eq "submission audited" \
  "$(json '[(a["action"], a["actor"], a["detail"]["isp"], a["detail"]["serial"]) for a in d]')" \
  "[('audit.submit', 'clerk', 'ISP One', 2)]"
expect_exit 0 -- co audit
expect_contains "audit trail" "$out" $'\taudit.submit\taudit-run 1'

finish
