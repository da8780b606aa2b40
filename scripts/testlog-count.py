#!/usr/bin/env python3
#
# Count the results in meson's JSON test log (meson-logs/testlog.json, one JSON
# object a line). Prints one line per test that did not pass ("FAIL name"),
# then, last, "PASSED FAILED SKIPPED". A missing log counts nothing.

import json
import sys

# the classification of mesonbuild.mtest.TestResult is_ok() and is_bad()
PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main() -> int:
    passed = failed = skipped = 0
    try:
        with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
            lines = log.readlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        result = entry.get("result", "ERROR")
        if result in PASSED:
            passed += 1
        elif result in SKIPPED:
            skipped += 1
        else:
            failed += 1
            print(f"{result} {entry.get('name', '?')}")
    print(passed, failed, skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
