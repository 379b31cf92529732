#!/usr/bin/env python3
"""Every metric the alert rules and the Grafana dashboard query must be one the processes export.

A name counts when a live scrape of /metrics shows it, or (counters that only appear once incremented, such as
failures) when the Swift sources create it with that label. Usage: check-ops-metrics.py SCRAPE RULES DASHBOARD.
"""
import json
import os
import re
import subprocess
import sys
import yaml

scrape_path, rules_path, dashboard_path = sys.argv[1:4]
with open(scrape_path) as f:
    scraped = {m.group(1) for m in re.finditer(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", f.read(), re.M)}
sources = subprocess.run(["grep", "-rhoE", r'label: "switchboard_[a-z_]+"', "Shared", "Services", "Tools"],
                         capture_output=True, text=True).stdout
declared = set(re.findall(r'"(switchboard_[a-z_]+)"', sources))
# The families Prometheus derives from a histogram (a swift-metrics Timer) or a counter.
def known(name):
    if name in scraped or name == "up":
        return "live"
    base = re.sub(r"_(bucket|count|sum)$", "", name)
    if base in scraped or base + "_bucket" in scraped:
        return "live"
    if name in declared or base in declared:
        return "source"
    return None

exprs = []
with open(rules_path) as f:
    for group in yaml.safe_load(f)["groups"]:
        for rule in group["rules"]:
            exprs.append((f"rule {rule.get('alert') or rule.get('record')}", rule["expr"]))
with open(dashboard_path) as f:
    for panel in json.load(f)["panels"]:
        for target in panel.get("targets", []):
            exprs.append((f"panel {panel['title']!r}", target["expr"]))

functions = {"sum", "min", "max", "avg", "rate", "increase", "histogram_quantile", "by", "and", "or", "unless", "on",
             "without", "count", "irate", "le", "offset", "bool", "ignoring", "group_left", "group_right", "abs", "delta"}
bad, live, source = [], set(), set()
for where, expr in exprs:
    stripped = re.sub(r'\{[^}]*\}', "", expr)
    stripped = re.sub(r'"[^"]*"', "", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)
    stripped = re.sub(r"\((?:[a-z_, ]*)\)", lambda m: "" if re.search(r"\b(by|without)\s*$", stripped[:m.start()]) else m.group(0), stripped)
    for name in re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b", stripped):
        if name in functions or re.fullmatch(r"\d+", name):
            continue
        kind = known(name)
        if kind is None:
            bad.append(f"{where}: {name}")
        elif kind == "live":
            live.add(name)
        else:
            source.add(name)
if bad:
    print("ops check: metrics no process exports:\n  " + "\n  ".join(bad))
    sys.exit(1)
print(f"ops check: {len(exprs)} expressions; seen live: {len(live)} names, created in the sources only (not yet incremented): {sorted(source)}")
