# Helpers for the CLI scenario tests: each `expect_*` prints what it checked and counts failures;
# `finish` exits non-zero if anything failed.
set -uo pipefail

failures=0
checks=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_exit CODE -- COMMAND...: runs COMMAND, keeps its stdout in $out and stderr in $err.
expect_exit() {
  local want=$1
  shift 2
  checks=$((checks + 1))
  local errfile
  errfile=$(mktemp)
  out=$("$@" 2>"$errfile")
  local got=$?
  err=$(cat "$errfile")
  rm -f "$errfile"
  if [[ $got -ne $want ]]; then
    fail "exit $got, want $want: $*"$'\n'"  stdout: ${out:0:400}"$'\n'"  stderr: ${err:0:400}"
    return 1
  fi
  return 0
}

expect_eq() {  # expect_eq WHAT GOT WANT
  checks=$((checks + 1))
  [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
}

expect_contains() {  # expect_contains WHAT HAYSTACK NEEDLE
  checks=$((checks + 1))
  [[ "$2" == *"$3"* ]] || fail "$1: '${2:0:300}' does not contain '$3'"
}

# json EXPR: evaluates a Python expression on the JSON in $out (bound to `d`).
json() {
  python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1" <<<"$out"
}

finish() {
  echo "$checks checks, $failures failures"
  [[ $failures -eq 0 ]]
}
