#!/usr/bin/env python3
"""Prints the slowest tests of a `swift test` run, from its saved output (Swift Testing and XCTest lines alike).

Usage: slowest-tests.py OUTPUT_FILE [COUNT]   (COUNT defaults to 10)
"""
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Swift Testing: "✔ Test name() passed after 1.234 seconds." / "✘ Test name() failed after 1.234 seconds with 2 issues."
SWIFT_TESTING = re.compile(r"Test (?P<name>.+?) (?P<result>passed|failed) after (?P<seconds>[0-9.]+) seconds")
# XCTest: "Test Case 'Suite.test' passed (1.234 seconds)." (on Linux "-[Suite test]" also occurs)
XCTEST = re.compile(r"Test Case '(?P<name>[^']+)' (?P<result>passed|failed) \((?P<seconds>[0-9.]+) seconds\)")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    try:
        with open(sys.argv[1], encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        print(f"slowest-tests: cannot read {sys.argv[1]}: {error}", file=sys.stderr)
        return 0
    times = {}
    for raw in lines:
        line = ANSI.sub("", raw)
        match = SWIFT_TESTING.search(line) or XCTEST.search(line)
        if not match or line.lstrip("✔✘ ").startswith("Suite") or "Test run with" in line:
            continue
        name, seconds = match.group("name"), float(match.group("seconds"))
        label = name if match.group("result") == "passed" else f"{name} (FAILED)"
        times[label] = max(seconds, times.get(label, 0.0))
    if not times:
        print("slowest tests: no per-test times found in the output")
        return 0
    slowest = sorted(times.items(), key=lambda item: item[1], reverse=True)[:count]
    print(f"slowest {len(slowest)} of {len(times)} tests:")
    for name, seconds in slowest:
        print(f"  {seconds:8.2f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
