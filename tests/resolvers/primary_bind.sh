# shellcheck shell=bash disable=SC2034,SC2016  # PRIMARY_* are outputs; $TTL is zone-file text
# The stand-in primary: BIND 9 authoritative for the RPZ zone, until interdict serves it itself.
#
# Contract of a primary (primary_KIND.sh, sourced after lib.sh), so that interdict can replace it:
#   in:  RES_TMP           temp dir to keep files in
#        RPZ_ZONE          zone name, with the final dot (rpz.interdict.)
#        PRIMARY_NOTIFY    array of "ADDR PORT": secondaries to NOTIFY on every change
#        TSIG_NAME TSIG_SECRET TSIG_ALG   when TSIG_NAME is set, transfers need that key
#   primary_start          serves the zone on 127.0.0.1; sets PRIMARY_ADDR, PRIMARY_PORT and
#                          PRIMARY_LOG (a log file shown when something fails, may be empty)
#   primary_block NAME     adds "NAME CNAME ." and "*.NAME CNAME ." (NXDOMAIN), bumps the
#                          serial, NOTIFYs; returns once the primary serves the new serial; may
#                          set PRIMARY_NOTIFY_NS (epoch ns when the NOTIFYs went out) for timing
#   primary_lift NAME      removes both, bumps the serial, NOTIFYs; same
#   primary_serial         prints the serial the primary serves
#   primary_stop
# Stand-in only: PRIMARY_IXFR=yes (default) makes BIND answer IXFR with differences
# (ixfr-from-differences); PRIMARY_IXFR=no makes it answer every IXFR with the whole zone
# (AXFR-style IXFR, RFC 1995 section 4), as a primary without a journal would.

primary_start() {
  # A fresh dir on every start (no journal from a previous run); the serial goes on growing.
  PRIMARY_STARTS=$((${PRIMARY_STARTS:-0} + 1))
  local d=$RES_TMP/primary$PRIMARY_STARTS
  mkdir -p "$d"
  PRIMARY_ADDR=127.0.0.1
  PRIMARY_PORT=$(free_port) || return 1
  PRIMARY_CONTROL_PORT=$(free_port) || return 1
  PRIMARY_LOG=$d/named.log
  PRIMARY_DIR=$d
  [[ -f $RES_TMP/primary-serial ]] || echo 0 >"$RES_TMP/primary-serial"
  : >"$d/names"
  local rndc_secret
  rndc_secret=$(head -c 32 /dev/urandom | base64)
  cat >"$d/rndc.conf" <<EOF
key "rndc-key" { algorithm hmac-sha256; secret "$rndc_secret"; };
options { default-key "rndc-key"; default-server 127.0.0.1; default-port $PRIMARY_CONTROL_PORT; };
EOF
  local notify="" t a p transfer="any;" keydef=""
  for t in "${PRIMARY_NOTIFY[@]}"; do
    read -r a p <<<"$t"
    notify+="$a port $p; "
  done
  if [[ -n ${TSIG_NAME:-} ]]; then
    keydef="key \"$TSIG_NAME\" { algorithm ${TSIG_ALG:-hmac-sha256}; secret \"$TSIG_SECRET\"; };"
    transfer="key \"$TSIG_NAME\";"
  fi
  local ixfr=yes
  [[ ${PRIMARY_IXFR:-yes} == no ]] && ixfr=no
  cat >"$d/named.conf" <<EOF
key "rndc-key" { algorithm hmac-sha256; secret "$rndc_secret"; };
$keydef
controls { inet 127.0.0.1 port $PRIMARY_CONTROL_PORT allow { 127.0.0.1; } keys { "rndc-key"; }; };
options {
  directory "$d";
  pid-file "$d/named.pid";
  session-keyfile "$d/session.key";
  managed-keys-directory "$d";
  listen-on port $PRIMARY_PORT { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  querylog yes;
  notify-delay 0;
  notify-rate 1000;
  allow-query { 127.0.0.0/8; };
};
logging {
  channel main { file "$d/named.log"; print-time yes; print-category yes; print-severity yes; severity info; };
  category default { main; };
  category queries { main; };
  category xfer-out { main; };
  category notify { main; };
  category security { main; };
  category lame-servers { null; };
};
zone "$RPZ_ZONE" {
  type primary;
  file "$d/rpz.zone";
  notify explicit;
  also-notify { $notify};
  allow-transfer { $transfer };
  ixfr-from-differences $ixfr;
  $([[ $ixfr == yes ]] && echo "max-ixfr-ratio unlimited;")
};
EOF
  primary_write_zone
  if ! named-checkconf "$d/named.conf" >&2; then
    res_fail "named-checkconf $d/named.conf"
    return 1
  fi
  res_spawn primary "$d/stdout.log" named -f -c "$d/named.conf" -n 1 || return 1
  RES_LOG["primary"]=$PRIMARY_LOG
  local t0 want
  t0=$(now_ms)
  want=$(cat "$RES_TMP/primary-serial")
  until [[ $(primary_serial) == "$want" ]]; do
    if ! res_alive primary || (($(now_ms) - t0 > 10000)); then
      res_fail "primary (BIND) did not start"
      tail -n 30 "$d/stdout.log" "$d/named.log" >&2
      return 1
    fi
    sleep 0.05
  done
  res_log "primary (BIND) up on 127.0.0.1#$PRIMARY_PORT, ixfr-from-differences $ixfr${TSIG_NAME:+, TSIG $TSIG_NAME}"
}

# Writes the zone file from $d/names with the next serial.
primary_write_zone() {
  local d=$PRIMARY_DIR serial n
  serial=$(($(cat "$RES_TMP/primary-serial") + 1))
  echo "$serial" >"$RES_TMP/primary-serial"
  {
    printf '$TTL %d\n@ SOA localhost. hostmaster.localhost. %d 3600 600 86400 %d\n@ NS localhost.\n' \
      "${RPZ_TTL:-60}" "$serial" "${RPZ_SOA_MIN:-60}"
    while read -r n; do
      [[ -n $n ]] && printf '%s CNAME .\n*.%s CNAME .\n' "$n" "$n"
    done <"$d/names"
  } >"$d/rpz.zone.new"
  mv "$d/rpz.zone.new" "$d/rpz.zone"
}

# Reloads the zone, waits for BIND to log that it sent the NOTIFYs for the new serial, and
# sets PRIMARY_NOTIFY_NS (epoch ns of that log line) for the timing.
primary_reload() {
  local d=$PRIMARY_DIR want line='' ts
  want=$(cat "$RES_TMP/primary-serial")
  rndc -c "$d/rndc.conf" reload "$RPZ_ZONE" >/dev/null || res_fail "rndc reload" || return 1
  local t0
  t0=$(now_ms)
  until ((${#PRIMARY_NOTIFY[@]} == 0)) || line=$(grep -m1 "sending notifies (serial $want)" "$PRIMARY_LOG"); do
    (($(now_ms) - t0 > 5000)) && { res_fail "primary sent no NOTIFY for serial $want"; return 1; }
    sleep 0.005
  done
  if [[ -n ${line:-} ]]; then
    ts=${line%% notify:*}
    PRIMARY_NOTIFY_NS=$(date -d "$ts" +%s%N)
  fi
  [[ $(primary_serial) == "$want" ]] || res_fail "primary does not serve serial $want"
}

primary_block() {
  local d=$PRIMARY_DIR
  grep -qx "$1" "$d/names" || echo "$1" >>"$d/names"
  primary_write_zone
  primary_reload
}

primary_lift() {
  local d=$PRIMARY_DIR
  grep -vx "$1" "$d/names" >"$d/names.new"
  mv "$d/names.new" "$d/names"
  primary_write_zone
  primary_reload
}

primary_stop() {
  res_stop primary
}
