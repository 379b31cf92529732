#!/usr/bin/env bash
# /getCode under an independent simulator and load generator (see README.md beside this file).
# Usage: Benchmarks/getcode/run.sh [BIN_DIR]   (default .build/release); env: POOL (32), CLIENTS (32), SECONDS_PER_RUN (10),
# LATENCY_MS (20), KEY_BITS (1024), VENV (~/.cache/switchboard-getcode-venv), PERF_DIR (perf record both servers
# into it), PERF_FREQ (samples per second, 499). Prints one JSON line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:-.build/release}" && pwd)
venv=${VENV:-$HOME/.cache/switchboard-getcode-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q aiohttp cryptography
fi
py="$venv/bin/python"
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
run=$(mktemp -d /tmp/sb-getcode-XXXXXX)
http_port=$(free_port); sim_port=$(free_port); redis_port=$(free_port)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$run"; }
trap cleanup EXIT
export SWITCHBOARD_RUN_DIR=$run SWITCHBOARD_REDIS_URL=redis://127.0.0.1:$redis_port SWITCHBOARD_HTTP_PORT=$http_port \
  SWITCHBOARD_LOG_LEVEL=warning SWITCHBOARD_SIGNER_UPSTREAM=ws://127.0.0.1:$sim_port/ SWITCHBOARD_SIGNER_PROBE_SECONDS=0 \
  SWITCHBOARD_SIGNER_POOL_SIZE=${POOL:-32} SWITCHBOARD_GETCODE_RATE_PER_SECOND=0 \
  SWITCHBOARD_JWT_SECRET=${SWITCHBOARD_JWT_SECRET:-getcode-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$run" >"$run/redis.log" 2>&1 & pids+=($!)
"$py" "$here/eport_sim.py" --port "$sim_port" --latency-ms "${LATENCY_MS:-20}" --key-bits "${KEY_BITS:-1024}" >"$run/sim.log" 2>&1 & pids+=($!)
sim_pid=$!
"$bin/signer" >"$run/signer.log" 2>&1 & pids+=($!)
signer_pid=$!
"$bin/ws-edge" >"$run/edge.log" 2>&1 & pids+=($!)
edge_pid=$!
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$sim_port/public.pem" && curl -s -o /dev/null -w '%{http_code}' -X POST \
    "http://127.0.0.1:$http_port/getCode" -d 00 2>/dev/null | grep -q 400 && break
  sleep 0.2
done
if [ -n "${PERF_DIR:-}" ]; then  # profile both servers over the measured window (after the 2 s warm-up)
  mkdir -p "$PERF_DIR"
  (sleep 2; perf record -q -F "${PERF_FREQ:-499}" -e cpu-clock -g -p "$edge_pid" -o "$PERF_DIR/edge.data" -- sleep 8) >/dev/null 2>&1 &
  (sleep 2; perf record -q -F "${PERF_FREQ:-499}" -e cpu-clock -g -p "$signer_pid" -o "$PERF_DIR/signer.data" -- sleep 8) >/dev/null 2>&1 &
fi
"$py" "$here/loadgen.py" --url "http://127.0.0.1:$http_port" --public-key-url "http://127.0.0.1:$sim_port/public.pem" \
  --clients "${CLIENTS:-32}" --seconds "${SECONDS_PER_RUN:-10}" \
  --pid edge=$edge_pid --pid signer=$signer_pid --pid sim=$sim_pid
