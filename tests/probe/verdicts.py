#!/usr/bin/python3
"""Compares the probe's results (`interdict audit run --output`, one JSON object per line) with
the testbed's table of expected verdicts.

  verdicts.py compare EXPECTATIONS VANTAGE RESULTS [--subset]
      every row of VANTAGE must have a result whose verdict is one of the row's ("a|b");
      with --subset (a run from the registry's feed) only the results' targets are checked, and
      each of them must have a row. Prints each mismatch with the result's evidence; exit 1 on any.
  verdicts.py summary SUMMARY_JSON
      one line from the probe's --json summary: targets, seconds, targets/min, verdict counts.

A result's target is interdict target text ("domain:x.test"); a bare value in either file is
compared by its value alone.
"""
import json
import sys

VERDICTS = {"blocked-dns", "blocked-ip", "blocked-sni", "blocked-http", "accessible", "down",
            "inconclusive"}


def key(target):
    target = target.strip()
    kind, sep, value = target.partition(":")
    if sep and kind in ("domain", "domain-tree", "url", "ip", "cidr", "app"):
        return kind, value
    return None, target


def load_expectations(path, vantage):
    rows = {}
    for line in open(path):
        if not line.strip() or line.startswith("#"):
            continue
        v, target, verdicts = line.rstrip("\n").split("\t")[:3]
        if v == vantage:
            rows[target] = set(verdicts.split("|"))
    return rows


def find(rows_by_key, target):
    k = key(target)
    if k in rows_by_key:
        return rows_by_key[k]
    # A bare value on one side: match on the value alone when it is unambiguous.
    same = [r for (kind, value), r in rows_by_key.items() if value == k[1]]
    return same[0] if len(same) == 1 else None


def compare(expectations, vantage, results, subset):
    rows = load_expectations(expectations, vantage)
    if not rows:
        print(f"FAIL: no expectations for vantage {vantage}", file=sys.stderr)
        return 1
    rows_by_key = {key(t): (t, want) for t, want in rows.items()}
    seen, bad, checked = set(), 0, 0
    for n, line in enumerate(open(results), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError as e:
            print(f"FAIL: {results}:{n}: not JSON ({e})", file=sys.stderr)
            bad += 1
            continue
        target, verdict = r.get("target", ""), r.get("verdict", "")
        if verdict not in VERDICTS:
            print(f"FAIL: {vantage} {target}: verdict {verdict!r} is not one of the contract's",
                  file=sys.stderr)
            bad += 1
        row = find(rows_by_key, target)
        if row is None:
            print(f"FAIL: {vantage} {target}: a result for a target the table does not list",
                  file=sys.stderr)
            bad += 1
            continue
        row_target, want = row
        seen.add(row_target)
        checked += 1
        if verdict not in want:
            evidence = json.dumps(r.get("evidence", {}), sort_keys=True)
            print(f"FAIL: {vantage} {row_target}: probe says {verdict}, the table {'|'.join(sorted(want))}"
                  f"\n  evidence: {evidence}", file=sys.stderr)
            bad += 1
    if not subset:
        for t in rows:
            if t not in seen:
                print(f"FAIL: {vantage} {t}: no result", file=sys.stderr)
                bad += 1
    print(f"{vantage}: {checked} results checked, {bad} mismatches")
    return 1 if bad else 0


def summary(path):
    d = json.load(open(path))
    counts = " ".join(f"{k}={v}" for k, v in sorted(d.get("verdicts", {}).items()))
    print(f"{d.get('vantage')}: {d.get('targets')} targets in {d.get('seconds')} s, "
          f"{d.get('targets_per_minute')} targets/min ({counts})")
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "compare":
        return compare(argv[2], argv[3], argv[4], "--subset" in argv[5:])
    if len(argv) == 3 and argv[1] == "summary":
        return summary(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
