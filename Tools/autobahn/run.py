#!/usr/bin/env python3
"""RFC 6455 conformance of the edge's echo endpoint (`/ws/echo`), driven by the Autobahn TestSuite's cases via kosoku.

Modes:
  quick      cases 1.*-7.*, 10.* and a subset of the permessage-deflate cases (12.*, 13.*: every data set and every
             parameter set, at the small and the fragmented sizes) against the built ws-edge (what `make test` runs);
             report in .build/autobahn-quick/
  full       the whole suite, 12.* and 13.* (permessage-deflate) included, echo limit raised to 16 MiB for 9.*; report in
             .build/autobahn/
  self-test  the harness itself against a stand-in echo server (Python `websockets`), no Swift build needed
  venv       creates the pinned venv if needed and prints its python (the integration tests' `websockets` client)

The edge is started alone (no services, no Redis: the echo endpoint needs neither) on a free port in a temporary run
dir with SWITCHBOARD_WS_ECHO=1. kosoku and the stand-in live in a pinned venv under .build/venv-autobahn. Every wait
is bounded; whatever this script started is stopped in `finally` and on SIGINT/SIGTERM. Exit status 0 only when every
case's behaviour is OK, NON-STRICT or INFORMATIONAL and its close behaviour OK or INFORMATIONAL.
"""
import argparse, collections, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".build", "venv-autobahn")
# Pinned: a new kosoku may add or re-judge cases, and the stand-in's known deviations are those of this websockets.
PINS = ["kosoku==0.1.0", "websockets==17.4"]
# 12.N.M / 13.N.M: N the data set (12) or the offer and answer (13), M the size: 1-4 are 16 B to 1 KiB messages, 11 is
# 8 KiB in 256-byte fragments. All of 12/13 (216 cases of 1,000 messages up to 128 KiB) is in `full`.
COMPRESSION_QUICK = [f"{group}.{n}.{m}" for group, sets in (("12", 5), ("13", 7)) for n in range(1, sets + 1) for m in (1, 2, 3, 4, 11)]
QUICK_CASES = ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "10.*"] + COMPRESSION_QUICK
FULL_EXCLUDED = []
ACCEPTED = {"OK", "NON-STRICT", "INFORMATIONAL"}
ACCEPTED_CLOSE = {"OK", "INFORMATIONAL"}
# What the stand-in (websockets 17.4) gets wrong: it answers a close that interrupts a fragmented message with 1002.
# The self-test requires these to be judged failures, which shows the harness does fail a non-conforming server.
STAND_IN_DEVIATIONS = {"7.1.5"}
CATEGORIES = {
    "1": "Framing", "2": "Pings/Pongs", "3": "Reserved bits", "4": "Opcodes", "5": "Fragmentation", "6": "UTF-8 handling",
    "7": "Close handling", "9": "Limits/performance", "10": "Miscellaneous", "12": "Compression (payloads)",
    "13": "Compression (parameters)",
}
FULL_MAX_BYTES = 16 * 1024 * 1024

STARTED = []  # Popen objects this script started, each the leader of its own process group


class Failure(Exception):
    pass


def log(text):
    print(f"autobahn: {text}", flush=True)


def stop_started():
    """Stops every process this script started: SIGTERM to its group, SIGKILL after 5 s."""
    while STARTED:
        process = STARTED.pop()
        if process.poll() is not None:
            continue
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass


def on_signal(number, _frame):
    raise SystemExit(128 + number)


def ensure_venv():
    """The pinned venv, created once and reused while its pins match."""
    python = os.path.join(VENV, "bin", "python")
    marker = os.path.join(VENV, "pins.txt")
    wanted = "\n".join(PINS) + "\n"
    if os.path.exists(marker) and open(marker).read() == wanted and os.path.exists(os.path.join(VENV, "bin", "kosoku")):
        return python
    log(f"creating {os.path.relpath(VENV, ROOT)} with {' '.join(PINS)}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True, timeout=120)
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINS], check=True, timeout=600)
    with open(marker, "w") as f:
        f.write(wanted)
    return python


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, env, log_path):
    out = open(log_path, "wb")
    process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    out.close()
    STARTED.append(process)
    return process


def tail(path, count=2000):
    try:
        with open(path, "rb") as f:
            return f.read()[-count:].decode("utf-8", "replace")
    except OSError:
        return ""


def wait_listening(process, port, log_path, timeout):
    """Until the port takes a TCP connection; fails when the process exits first or `timeout` passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise Failure(f"the server exited with {process.returncode} before listening:\n{tail(log_path)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise Failure(f"nothing listened on port {port} within {timeout} s:\n{tail(log_path)}")


def upgrade_status(port, path, timeout=5):
    """The status line of a WebSocket upgrade of `path` (to say clearly when the endpoint is missing)."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(request.encode())
        data = b""
        while b"\r\n" not in data and len(data) < 4096:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1", "replace")


def start_edge(binary, run_dir, max_bytes):
    port = free_port()
    env = dict(os.environ)
    env.update({
        "SWITCHBOARD_RUN_DIR": run_dir,
        "SWITCHBOARD_HTTP_HOST": "127.0.0.1",
        "SWITCHBOARD_HTTP_PORT": str(port),
        "SWITCHBOARD_JWT_SECRET": os.urandom(32).hex(),
        "SWITCHBOARD_WS_ECHO": "1",
        # kosoku opens one connection per case, and a closing one may still count: limits out of the way.
        "SWITCHBOARD_MAX_CONNECTIONS_PER_IP": "10000",
        "SWITCHBOARD_EDGE_MAX_CONNECTIONS_PER_IP": "10000",
        # No unsolicited protocol pings in the middle of a case.
        "SWITCHBOARD_WS_PING_SECONDS": "0",
        "SWITCHBOARD_LOG_LEVEL": os.environ.get("SWITCHBOARD_AUTOBAHN_LOG_LEVEL", "warning"),
    })
    if max_bytes is not None:
        env["SWITCHBOARD_WS_ECHO_MAX_BYTES"] = str(max_bytes)
    log_path = os.path.join(run_dir, "ws-edge.log")
    process = start([binary], env, log_path)
    wait_listening(process, port, log_path, timeout=30)
    status = upgrade_status(port, "/ws/echo")
    if " 101 " not in f"{status} ":
        raise Failure(f"the edge does not upgrade /ws/echo with SWITCHBOARD_WS_ECHO=1 (answered {status!r}); "
                      f"is the echo endpoint in this build?\n{tail(log_path)}")
    return port, log_path


STAND_IN = r'''
import asyncio, sys
from websockets.asyncio.server import serve

async def echo(connection):
    async for message in connection:
        await connection.send(message)

async def main():
    async with serve(echo, "127.0.0.1", int(sys.argv[1]), compression=None, max_size=int(sys.argv[2]),
                     ping_interval=None):
        await asyncio.Future()

asyncio.run(main())
'''


def start_stand_in(python, run_dir):
    port = free_port()
    script = os.path.join(run_dir, "stand_in.py")
    with open(script, "w") as f:
        f.write(STAND_IN)
    log_path = os.path.join(run_dir, "stand-in.log")
    process = start([python, script, str(port), str(FULL_MAX_BYTES)], dict(os.environ), log_path)
    wait_listening(process, port, log_path, timeout=20)
    return port, log_path


def run_kosoku(url, include, exclude, report_dir, parallelism, timeout):
    """Runs the cases; returns kosoku's index (`{agent: {case: entry}}`)."""
    shutil.rmtree(report_dir, ignore_errors=True)
    os.makedirs(report_dir)
    argv = [os.path.join(VENV, "bin", "kosoku"), "-m", "fuzzingclient", url, "-o", report_dir, "-p", str(parallelism)]
    for case in include:
        argv += ["-i", case]
    for case in exclude:
        argv += ["-x", case]
    log_path = os.path.join(report_dir, "kosoku.log")
    started = time.monotonic()
    process = start(argv, dict(os.environ), log_path)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"kosoku did not finish within {timeout} s:\n{tail(log_path)}")
    finally:
        if process in STARTED:
            STARTED.remove(process)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
    elapsed = time.monotonic() - started
    index_path = os.path.join(report_dir, "index.json")
    if not os.path.exists(index_path):
        raise Failure(f"kosoku exited with {process.returncode} and wrote no report:\n{tail(log_path)}")
    with open(index_path) as f:
        index = json.load(f)
    log(f"kosoku ran {sum(len(c) for c in index.values())} cases in {elapsed:.1f} s (exit {process.returncode}); "
        f"report: {os.path.relpath(os.path.join(report_dir, 'index.html'), ROOT)}")
    return index


def sort_key(case_id):
    return [int(part) if part.isdigit() else 0 for part in case_id.split(".")]


def judge(index):
    """Prints a summary per case group; returns the failing cases as `{case: (behavior, close, close code)}`."""
    failures = {}
    groups = collections.defaultdict(collections.Counter)
    for agent, cases in index.items():
        for case_id, entry in cases.items():
            behavior, close = entry.get("behavior"), entry.get("behaviorClose")
            groups[case_id.split(".")[0]][behavior if close in ACCEPTED_CLOSE else f"{behavior}/close {close}"] += 1
            if behavior not in ACCEPTED or close not in ACCEPTED_CLOSE:
                failures[case_id] = (behavior, close, entry.get("remoteCloseCode"))
    for group in sorted(groups, key=int):
        counts = groups[group]
        summary = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
        log(f"  {group:>2} {CATEGORIES.get(group, ''):<26} {sum(counts.values()):>4} cases: {summary}")
    for case_id in sorted(failures, key=sort_key):
        behavior, close, code = failures[case_id]
        log(f"  FAILED {case_id}: behavior {behavior}, close {close}, peer's close code {code}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["quick", "full", "self-test", "venv"])
    parser.add_argument("--bin-dir", default=os.environ.get("SWITCHBOARD_BIN_DIR"), help="where ws-edge is built")
    parser.add_argument("--edge", help="path of the ws-edge executable (default: BIN_DIR/ws-edge)")
    parser.add_argument("--report", help="report directory (default: .build/autobahn for full, .build/autobahn-MODE otherwise)")
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--cases", nargs="+", help="only these case patterns (e.g. 12.* 13.*), with the mode's limits")
    parser.add_argument("--timeout", type=int, help="seconds kosoku may take (default 300 quick, 3600 full)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.mode == "venv":
        print(ensure_venv())
        return 0
    report = args.report or os.path.join(ROOT, ".build", "autobahn" if args.mode == "full" else f"autobahn-{args.mode}")
    include, exclude = (QUICK_CASES, []) if args.mode != "full" else ([], FULL_EXCLUDED)
    if args.mode == "self-test":
        # The stand-in runs without compression: the permessage-deflate cases would be UNIMPLEMENTED.
        include = [case for case in QUICK_CASES if case not in COMPRESSION_QUICK]
    if args.cases:
        include, exclude = args.cases, []
    timeout = args.timeout or (3600 if args.mode == "full" else 300)
    run_dir = tempfile.mkdtemp(prefix="sbautobahn-")
    try:
        python = ensure_venv()
        if args.mode == "self-test":
            port, server_log = start_stand_in(python, run_dir)
            url = f"ws://127.0.0.1:{port}/"
        else:
            binary = args.edge or (os.path.join(args.bin_dir, "ws-edge") if args.bin_dir else None)
            if not binary or not os.access(binary, os.X_OK):
                raise Failure(f"no ws-edge executable ({binary!r}): pass --bin-dir, --edge or set SWITCHBOARD_BIN_DIR")
            port, server_log = start_edge(binary, run_dir, FULL_MAX_BYTES if args.mode == "full" else None)
            url = f"ws://127.0.0.1:{port}/ws/echo"
        log(f"{args.mode}: {' '.join(include) or 'all cases'}{' but ' + ' '.join(exclude) if exclude else ''} against {url}")
        index = run_kosoku(url, include, exclude, report, args.parallelism, timeout)
        if not index or not any(index.values()):
            raise Failure("kosoku's report holds no case")
        failures = judge(index)
        if args.mode == "self-test":
            unexpected = set(failures) - STAND_IN_DEVIATIONS
            undetected = STAND_IN_DEVIATIONS - set(failures)
            if unexpected or undetected:
                raise Failure(f"self-test: unexpected failures {sorted(unexpected)}, known deviations not detected "
                              f"{sorted(undetected)}")
            log(f"self-test passed: every case accepted but the stand-in's known deviations {sorted(STAND_IN_DEVIATIONS)}, "
                "which were judged failures")
            return 0
        if failures:
            log(f"{len(failures)} case(s) not conforming; server log: {server_log} (kept)")
            run_dir = None  # keep the log for the reader
            return 1
        log("every case OK, NON-STRICT or INFORMATIONAL")
        return 0
    except Failure as failure:
        log(f"FAILED: {failure}")
        run_dir = None
        return 1
    finally:
        stop_started()
        if run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
