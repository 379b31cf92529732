#!/usr/bin/env python3
"""The Dockerfile's Swift must be able to load every manifest of the resolved dependency graph.

No Docker engine runs on the CI machines, so this compares instead: the `FROM swift:X.Y` of the build stage against the
tools version of the manifest SwiftPM picks in each resolved package (Package.swift or the best Package@swift-A.B.swift)
and of the root. A package that declares a newer tools version than the image's Swift fails `docker build` at resolution.
Usage: check-dockerfile.py [Dockerfile] [package root]; run after `swift build` (it reads .build/checkouts).
"""
import json
import os
import re
import sys

dockerfile = sys.argv[1] if len(sys.argv) > 1 else "Dockerfile"
root = sys.argv[2] if len(sys.argv) > 2 else "."

def fail(message):
    print(f"dockerfile check: {message}")
    sys.exit(1)

def version(text):
    return tuple(int(p) for p in text.split("."))

def show(v):
    return ".".join(map(str, v))

def tools_version(path):
    with open(path) as f:
        first = f.readline()
    m = re.match(r"//\s*swift-tools-version\s*:\s*(\d+(?:\.\d+){0,2})", first)
    if not m:
        fail(f"{path}: no swift-tools-version on the first line")
    return version(m.group(1))

def effective_manifest(directory, swift):
    """The manifest SwiftPM `swift` loads: the highest Package@swift-V.swift with V <= swift, unless Package.swift's own
    tools version is newer and still supported (SwiftPM prefers the regular manifest then)."""
    best = None
    for name in os.listdir(directory):
        m = re.fullmatch(r"Package@swift-(\d+(?:\.\d+){0,2})\.swift", name)
        if m and version(m.group(1)) <= swift and (best is None or version(m.group(1)) > best[0]):
            best = (version(m.group(1)), name)
    regular = os.path.join(directory, "Package.swift")
    if best is None:
        return regular
    specific = os.path.join(directory, best[1])
    if os.path.exists(regular):
        t = tools_version(regular)
        if t <= swift and t > tools_version(specific):
            return regular
    return specific

with open(dockerfile) as f:
    text = f.read()
froms = re.findall(r"^FROM\s+(?:--platform=\S+\s+)?swift:(\d+\.\d+(?:\.\d+)?)[-\w.]*(?:\s+AS\s+\w+)?\s*$", text, re.M | re.I)
if not froms:
    fail(f"{dockerfile}: no `FROM swift:X.Y-…` build stage")
swift = version(froms[0])

checkouts = os.path.join(root, ".build", "checkouts")
if not os.path.isdir(checkouts):
    fail(f"{checkouts} is missing: run `swift build` (or `swift package resolve`) first")
names = sorted(os.listdir(checkouts))
resolved = os.path.join(root, "Package.resolved")
if os.path.exists(resolved):
    with open(resolved) as f:
        pins = {p["identity"].lower() for p in json.load(f).get("pins", [])}
    names = [n for n in names if n.lower() in pins]
if not names:
    fail("no resolved packages found")

rows = [("(root)", root)] + [(n, os.path.join(checkouts, n)) for n in names]
highest = ((0,), "")
too_new = []
for name, directory in rows:
    manifest = effective_manifest(directory, swift)
    t = tools_version(manifest)
    if t > highest[0]:
        highest = (t, f"{name}/{os.path.basename(manifest)}")
    if t > swift:
        too_new.append(f"{name} ({os.path.basename(manifest)}: {show(t)})")
if too_new:
    fail(f"{dockerfile} builds with Swift {show(swift)}, but these manifests need newer: {', '.join(too_new)}")
print(f"dockerfile check: swift:{show(swift)} >= highest tools version {show(highest[0])} ({highest[1]}) of {len(rows)} manifests")
