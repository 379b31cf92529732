#!/usr/bin/env python3
"""Unchanged python-socketio clients against the edge's /socket.io/ (issue 17), driven by Tests/IntegrationTests/SocketIOTests.swift.

Run with the system python3: the pinned venv .build/venv-socketio is created once (and reused while its pins match),
then the script re-runs itself inside it. Each scenario prints one line `RESULT {json}` with what it observed; the
Swift test asserts on it. Every wait has a timeout; every client is disconnected in `finally`.

  session  --port P --transport websocket|upgrade|polling --admin T --token2 T --ws-token T --room R
  refusals --port P --token T   (refused token, other namespace, per-IP limit: the 11th connection)
  bundle                        the Socket.IO JavaScript client (4.8.1, MIT) as NiceGUI's wheel ships it, extracted
                                once into .build/socketio-js/ for the headless Chromium test (npm is not reachable)
"""
import argparse, glob, json, os, queue, subprocess, sys, tempfile, time, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".build", "venv-socketio")
# The client versions the issue names; requests (polling) and websocket-client (WebSocket) are the sync client's transports.
PINS = ["python-socketio==5.18.1", "python-engineio==4.15.1", "requests==2.34.2", "websocket-client==1.9.2"]
WAIT = 15  # seconds for any one expected event: generous, the machine is shared with builds


def ensure_venv():
    """The pinned venv, created once and reused while its pins match."""
    python = os.path.join(VENV, "bin", "python")
    marker = os.path.join(VENV, "pins.txt")
    wanted = "\n".join(PINS) + "\n"
    if os.path.exists(marker) and open(marker).read() == wanted and os.path.exists(python):
        return python
    print(f"socketio: creating {os.path.relpath(VENV, ROOT)} with {' '.join(PINS)}", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True, timeout=120)
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINS], check=True, timeout=600)
    with open(marker, "w") as f:
        f.write(wanted)
    return python


if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
    python = ensure_venv()
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])

import socketio  # noqa: E402  (inside the venv from here on)
import websocket  # noqa: E402


class Recorder:
    """A python-socketio client that queues every event it receives, by name, for bounded waits."""

    def __init__(self, name, namespace="/"):
        self.name = name
        self.sio = socketio.Client(reconnection=False)
        self.events = queue.Queue()
        self.passed = []
        self.connect_errors = []
        self.sio.on("*", self._any)
        self.sio.on("connect_error", lambda data: self.connect_errors.append(data), namespace=namespace)

    def _any(self, event, *args):
        self.events.put((event, args[0] if args else None))

    def connect(self, url, transports, **options):
        self.sio.connect(url, transports=transports, wait_timeout=WAIT, **options)

    def next(self, event, timeout=WAIT, where=lambda data: True):
        """The data of the first `event` for which `where` holds, or None. Events passed over while waiting for another
        are kept for later waits: a user-topic frame (the worker's `answer`) may overtake a command's reply
        (`question_accepted`), which travels the RPC path."""
        for index, (name, data) in enumerate(self.passed):
            if name == event and where(data):
                del self.passed[index]
                return data
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                name, data = self.events.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                return None
            if name == event and where(data):
                return data
            self.passed.append((name, data))
        return None

    def close(self):
        try:
            self.sio.disconnect()
        except Exception:
            pass


class PlainSocket:
    """A `/ws` client speaking the edge's own JSON frames."""

    def __init__(self, port, token):
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws?token={token}", timeout=WAIT)

    def send(self, type_, data, id_):
        self.ws.send(json.dumps({"type": type_, "id": id_, "data": data}))

    def next(self, type_, timeout=WAIT):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.ws.settimeout(max(0.01, end - time.monotonic()))
            try:
                frame = json.loads(self.ws.recv())
            except Exception:
                return None
            if frame.get("type") == type_:
                return frame.get("data")
        return None

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass


def session(args):
    url = f"http://127.0.0.1:{args.port}"
    transports = {"websocket": ["websocket"], "upgrade": ["polling", "websocket"], "polling": ["polling"]}[args.transport]
    result = {}
    alice, bob, plain = Recorder("alice"), Recorder("bob"), None
    try:
        # Alice: the token in the CONNECT packet's auth; Bob: `Authorization: Bearer` on the handshake.
        alice.connect(url, transports, auth={"token": args.admin})
        bob.connect(url, transports, headers={"Authorization": f"Bearer {args.token2}"})
        result["transports"] = [alice.sio.transport(), bob.sio.transport()]
        result["greeting"] = alice.next("connection_established")
        result["join_ack"] = alice.sio.call("join_room", {"room": args.room}, timeout=WAIT)
        bob.sio.emit("join_room", {"room": args.room})
        result["bob_joined"] = bob.next("room_joined")
        plain = PlainSocket(args.port, args.ws_token)
        plain.send("join_room", {"room": args.room}, "j1")
        result["plain_joined"] = plain.next("room_joined")

        alice.sio.emit("chat_message", {"room": args.room, "content": "hello from socket.io"})
        result["bob_chat"] = bob.next("chat_message")
        result["plain_chat"] = plain.next("chat_message")
        plain.send("chat_message", {"room": args.room, "content": "hello from /ws"}, "c1")
        # Each sender gets its own message too: wait for the /ws one.
        from_plain = lambda data: isinstance(data, dict) and data.get("content") == "hello from /ws"
        result["alice_chat_from_plain"] = alice.next("chat_message", where=from_plain)
        result["bob_chat_from_plain"] = bob.next("chat_message", where=from_plain)

        alice.sio.emit("ask_question", {"question": "How do I join a room?"})
        result["question_accepted"] = alice.next("question_accepted")
        result["answer"] = alice.next("answer", timeout=30)

        result["history_ack"] = alice.sio.call("get_history", {"room": args.room, "limit": 10}, timeout=WAIT)
        alice.sio.emit("get_history", {"room": args.room, "limit": 10})
        result["history_event"] = alice.next("history")
        result["cleared_ack"] = alice.sio.call("clear_history", {"room": args.room}, timeout=WAIT)

        # Malformed: a truncated event, an unknown event name, a binary event; then the connection still works.
        alice.sio.eio.send('2["chat_message",{')
        result["malformed_error"] = alice.next("error")
        result["unknown_ack"] = alice.sio.call("no_such_command", {}, timeout=WAIT)
        alice.sio.emit("chat_message", b"\x00\x01binary")
        result["binary_error"] = alice.next("error")
        result["ping_after_errors"] = alice.sio.call("ping", {}, timeout=WAIT)
        result["rejoin_ack"] = alice.sio.call("join_room", {"room": args.room + "-b"}, timeout=WAIT)
        # A few server pings pass (the test sets a short ping interval) and the session is still up.
        time.sleep(args.idle)
        result["ping_after_idle"] = alice.sio.call("ping", {}, timeout=WAIT)
        result["connected_after_idle"] = alice.sio.connected and bob.sio.connected
    except Exception as error:  # the result says how far it got
        result["exception"] = f"{type(error).__name__}: {error}"
    finally:
        for client in (alice, bob):
            client.close()
        if plain:
            plain.close()
    return result


def refusals(args):
    url = f"http://127.0.0.1:{args.port}"
    result = {}
    clients = []
    try:
        bad = Recorder("bad")
        try:
            bad.connect(url, ["websocket"], auth={"token": "not-a-jwt"})
            result["bad_token"] = "connected"
        except socketio.exceptions.ConnectionError as error:
            result["bad_token"] = {"error": str(error), "connect_errors": bad.connect_errors}
        bad.close()

        other = Recorder("other", namespace="/admin")
        try:
            other.connect(url, ["websocket"], auth={"token": args.token}, namespaces=["/admin"])
            result["other_namespace"] = "connected"
        except socketio.exceptions.ConnectionError as error:
            result["other_namespace"] = {"error": str(error), "connect_errors": other.connect_errors}
        other.close()

        # The per-IP limit (10) counts Socket.IO connections as it counts /ws ones.
        accepted = 0
        for index in range(11):
            client = Recorder(f"c{index}")
            clients.append(client)
            try:
                client.connect(url, ["websocket"] if index % 2 == 0 else ["polling"], auth={"token": args.token})
                accepted += 1
            except socketio.exceptions.ConnectionError as error:
                result["eleventh"] = {"index": index, "error": str(error), "connect_errors": client.connect_errors}
        result["accepted"] = accepted
    except Exception as error:
        result["exception"] = f"{type(error).__name__}: {error}"
    finally:
        for client in clients:
            client.close()
    return result


BUNDLE_PIN = "nicegui==3.18.0"
BUNDLE_MEMBER = "nicegui/static/socket.io.min.js"


def bundle(_args):
    target = os.path.join(ROOT, ".build", "socketio-js", "socket.io.min.js")
    marker = target + ".pin"
    if not (os.path.exists(target) and os.path.exists(marker) and open(marker).read() == BUNDLE_PIN):
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps", "-d", folder, BUNDLE_PIN],
                           check=True, timeout=300)
            wheel = glob.glob(os.path.join(folder, "*.whl"))[0]
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with zipfile.ZipFile(wheel) as archive, open(target, "wb") as out:
                out.write(archive.read(BUNDLE_MEMBER))
        with open(marker, "w") as f:
            f.write(BUNDLE_PIN)
    head = open(target, encoding="utf-8").read(200)
    return {"path": target, "version": head.split("Socket.IO v", 1)[1].split()[0] if "Socket.IO v" in head else None}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["session", "refusals", "bundle"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--transport", default="websocket")
    parser.add_argument("--admin")
    parser.add_argument("--token")
    parser.add_argument("--token2")
    parser.add_argument("--ws-token")
    parser.add_argument("--room", default="ops")
    parser.add_argument("--idle", type=float, default=3)
    args = parser.parse_args()
    result = {"session": session, "refusals": refusals, "bundle": bundle}[args.scenario](args)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
