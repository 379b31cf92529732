#!/usr/bin/env bash
# The operator's kit in CI: promtool check/test rules on ops/prometheus, then a real system started briefly
# (`switchboard up --detach` from BIN_DIR, on free ports in a scratch run dir) whose /metrics scrape must pass
# `promtool check metrics` and must carry the metrics the rules and the dashboard query.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:?usage: check-ops.sh BIN_DIR}"
cd "$root"
promtool check rules ops/prometheus/alerts.yml
promtool test rules ops/prometheus/alerts.test.yml
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' ops/grafana/switchboard.json

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
run="$(mktemp -d /tmp/sb-ops-XXXXXX)"
export SWITCHBOARD_RUN_DIR="$run" SWITCHBOARD_HTTP_PORT="$(free_port)" SWITCHBOARD_LOCAL_REDIS_PORT="$(free_port)"
export SWITCHBOARD_SIGNER_SIM_PORT="$(free_port)"
unset SWITCHBOARD_REDIS_URL
stop() { "$bin/switchboard" down >/dev/null 2>&1 || true; rm -rf "$run"; }
trap stop EXIT
"$bin/switchboard" up --detach --wait 90 >/dev/null || { tail -n 40 "$run"/logs/*.log; exit 1; }
base="http://127.0.0.1:$SWITCHBOARD_HTTP_PORT"
# Some traffic first, so the RPC and Redis histograms have samples.
for _ in 1 2 3 4 5; do curl -sf -o /dev/null "$base/health" || true; done
curl -sf "$base/metrics" > "$run/metrics.txt"
promtool check metrics < "$run/metrics.txt" || { cp "$run/metrics.txt" /tmp/sb-ops-last-metrics.txt; exit 1; }
echo "promtool check metrics: $(grep -c '^switchboard_' "$run/metrics.txt") switchboard series ok"
python3 .ci/check-ops-metrics.py "$run/metrics.txt" ops/prometheus/alerts.yml ops/grafana/switchboard.json
