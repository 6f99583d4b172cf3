# shellcheck shell=bash disable=SC2034  # PRIMARY_* are outputs
# The real primary: `interdict serve` publishing the isp view as the RPZ zone, changed through
# the `interdict` command line (another process, as an operator would). The contract is the one
# written at the top of primary_bind.sh.
#   in (besides the contract's): INTERDICT_BIN, the interdict binary.
# A block is an order on the domain-tree *.NAME (the zone gets NAME and *.NAME, as with the
# stand-in); a lift lifts that order. The registry lives in $RES_TMP and survives restarts, so
# the serial keeps growing, as it does with the stand-in.

: "${INTERDICT_BIN:?set INTERDICT_BIN to the interdict binary}"

primary_cli() {
  INTERDICT_DB=$RES_TMP/interdict.db INTERDICT_ACTOR=resolver-test "$INTERDICT_BIN" "$@"
}

primary_start() {
  PRIMARY_STARTS=$((${PRIMARY_STARTS:-0} + 1))
  local d=$RES_TMP/primary$PRIMARY_STARTS
  mkdir -p "$d"
  PRIMARY_ADDR=127.0.0.1
  PRIMARY_PORT=$(free_port) || return 1
  PRIMARY_LOG=$d/serve.log
  PRIMARY_DIR=$d
  primary_cli init >/dev/null || { res_fail "interdict init"; return 1; }
  local args=(serve --dns-listen "127.0.0.1:$PRIMARY_PORT" --zone "isp=$RPZ_ZONE"
    --allow-transfer 127.0.0.0/8 --ttl "${RPZ_TTL:-60}") t a p
  for t in "${PRIMARY_NOTIFY[@]}"; do
    read -r a p <<<"$t"
    args+=(--notify "$a:$p")
  done
  if [[ -n ${TSIG_NAME:-} ]]; then
    args+=(--tsig-key "${TSIG_ALG:-hmac-sha256}:$TSIG_NAME:$TSIG_SECRET" --require-tsig)
  fi
  res_spawn primary "$PRIMARY_LOG" env INTERDICT_DB="$RES_TMP/interdict.db" \
    INTERDICT_ACTOR=resolver-test "$INTERDICT_BIN" "${args[@]}" || return 1
  RES_LOG["primary"]=$PRIMARY_LOG
  local t0 want
  t0=$(now_ms)
  want=$(primary_registry_serial)
  until [[ $(primary_serial) == "$want" ]]; do
    if ! res_alive primary || (($(now_ms) - t0 > 20000)); then
      res_fail "primary (interdict serve) did not start"
      tail -n 30 "$PRIMARY_LOG" >&2
      return 1
    fi
    sleep 0.05
  done
  res_log "primary (interdict serve) up on 127.0.0.1#$PRIMARY_PORT at serial $want${TSIG_NAME:+, TSIG $TSIG_NAME required}"
}

# The registry's serial.
primary_registry_serial() {
  primary_cli serial
}

# Waits until the server serves the registry's serial and sets PRIMARY_NOTIFY_NS from the log
# line of that serial (written just before the NOTIFYs go out).
primary_settle() {
  local want t0 line ts
  want=$(primary_registry_serial)
  t0=$(now_ms)
  until line=$(grep -m1 "dns: serial $want;" "$PRIMARY_LOG"); do
    (($(now_ms) - t0 > 5000)) && { res_fail "interdict serve did not reach serial $want"; return 1; }
    sleep 0.005
  done
  ts=${line%% dns:*}
  PRIMARY_NOTIFY_NS=$(date -d "$ts" +%s%N)
  [[ $(primary_serial) == "$want" ]] || res_fail "primary does not serve serial $want"
}

primary_block() {
  local id
  id=$(primary_cli order create --body "Resolver test court" --ref "block-$1-$(now_ms)" \
    --expires 2099-01-01 --scope isp --category torrent --target "*.$1") ||
    { res_fail "interdict order create *.$1"; return 1; }
  echo "$1 $id" >>"$RES_TMP/interdict-orders"
  primary_settle
}

primary_lift() {
  local id
  id=$(awk -v n="$1" '$1 == n { id = $2 } END { print id }' "$RES_TMP/interdict-orders" 2>/dev/null)
  [[ -n $id ]] || { res_fail "no order blocks $1"; return 1; }
  primary_cli order lift "$id" --reason "lifted by the resolver test" >/dev/null ||
    { res_fail "interdict order lift $id"; return 1; }
  primary_settle
}

primary_stop() {
  res_stop primary
}
