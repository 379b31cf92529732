"""A closed-loop /getCode load generator that verifies every signature.

N clients, each on its own keep-alive connection, post a unique `str` per request for --seconds. Every 200 answer is
decrypted (AES-128-ECB, PKCS7) and its SHA1withRSA signature verified against the simulator's public key over the
caller's own `str`: a signature meant for another caller counts as a mismatch. With --pid NAME=PID it also reports the
CPU (utime + stime from /proc/PID/stat) each process spent per request during the measured window.
"""

import argparse
import asyncio
import base64
import json
import os
import time

import aiohttp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding as sympadding, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def fold_key(key: str) -> bytes:
    """MySQL-style: 16 zero bytes XOR-ed with the key bytes, cycling."""
    folded = bytearray(16)
    for index, byte in enumerate(key.encode()):
        folded[index % 16] ^= byte
    return bytes(folded)


def encrypt(plain: bytes, key: bytes) -> str:
    padder = sympadding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return (encryptor.update(data) + encryptor.finalize()).hex().upper()


def decrypt(hex_text: str, key: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    data = decryptor.update(bytes.fromhex(hex_text)) + decryptor.finalize()
    unpadder = sympadding.PKCS7(128).unpadder()
    return unpadder.update(data) + unpadder.finalize()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def context_switches(pid: int) -> dict:
    """Voluntary + involuntary context switches of the process's threads, summed by thread name: each is a thread that
    went to sleep or was taken off a core, so per request they count the hand-offs the CPU figure pays for, and say
    which threads make them (the event loops, the bus's poll thread, ZeroMQ's I/O thread, the task pool)."""
    totals = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as comm:
                name = comm.read().strip()
            with open(f"/proc/{pid}/task/{task}/status") as status:
                count = sum(
                    int(line.split()[1])
                    for line in status
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
                )
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        totals[name] = totals.get(name, 0) + count
    return totals


class Totals:
    def __init__(self):
        self.latencies = []
        self.verified = 0
        self.mismatches = 0
        self.errors = 0
        self.last_error = ""


async def client(index, url, key, public_key, password, end, totals, measuring):
    connector = aiohttp.TCPConnector(limit=1, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        sequence = 0
        while time.monotonic() < end:
            sequence += 1
            text = f"client {index} request {sequence} " + "x" * 48
            body = encrypt(json.dumps({"str": text, "pwdstr": password}).encode(), key)
            sent = time.monotonic()
            try:
                async with session.post(url, data=body) as response:
                    status = response.status
                    answer = await response.read()
            except aiohttp.ClientError as error:
                totals.errors += 1
                totals.last_error = repr(error)
                await asyncio.sleep(0.05)
                continue
            elapsed = time.monotonic() - sent
            if not measuring[0]:
                continue
            if status != 200:
                totals.errors += 1
                totals.last_error = f"{status} {answer[:200]!r}"
                continue
            try:
                inner = json.loads(decrypt(json.loads(answer)["data"], key))
                public_key.verify(base64.b64decode(inner["sign"]), text.encode(), padding.PKCS1v15(), hashes.SHA1())
                totals.verified += 1
                totals.latencies.append(elapsed)
            except InvalidSignature:
                totals.mismatches += 1
            except (ValueError, KeyError, TypeError) as error:
                totals.errors += 1
                totals.last_error = f"undecodable answer: {error!r}"


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(args):
    key = fold_key(args.aes_key)
    async with aiohttp.ClientSession() as session:
        async with session.get(args.public_key_url) as response:
            public_key = serialization.load_pem_public_key(await response.read())
    url = f"{args.url.rstrip('/')}/getCode"
    pids = dict(item.split("=", 1) for item in args.pid)
    totals = Totals()
    measuring = [False]
    start = time.monotonic()
    end = start + args.warmup + args.seconds
    tasks = [asyncio.create_task(client(i, url, key, public_key, args.password, end, totals, measuring)) for i in range(args.clients)]
    await asyncio.sleep(args.warmup)
    measuring[0] = True
    before = {name: cpu_seconds(int(pid)) for name, pid in pids.items()}
    switches_before = {name: context_switches(int(pid)) for name, pid in pids.items()}
    mine_before = time.process_time()
    measured_from = time.monotonic()
    await asyncio.sleep(args.seconds)
    measuring[0] = False
    measured = time.monotonic() - measured_from
    after = {name: cpu_seconds(int(pid)) for name, pid in pids.items()}
    switches_after = {name: context_switches(int(pid)) for name, pid in pids.items()}
    mine = time.process_time() - mine_before
    await asyncio.gather(*tasks)
    count = totals.verified
    result = {
        "clients": args.clients,
        "seconds": round(measured, 2),
        "verified_per_second": round(count / measured, 1),
        "p50_ms": round(percentile(totals.latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(totals.latencies, 0.99) * 1000, 2),
        "verified": count,
        "mismatches": totals.mismatches,
        "errors": totals.errors,
        "cpu_us_per_request": {name: round((after[name] - before[name]) * 1e6 / max(1, count), 1) for name in pids},
        "loadgen_cpu_us_per_request": round(mine * 1e6 / max(1, count), 1),
        "context_switches_per_request": {
            name: round((sum(switches_after[name].values()) - sum(switches_before[name].values())) / max(1, count), 2)
            for name in pids
        },
        "context_switches_by_thread": {
            name: {
                thread: round((switches_after[name][thread] - switches_before[name].get(thread, 0)) / max(1, count), 2)
                for thread in sorted(switches_after[name])
                if switches_after[name][thread] != switches_before[name].get(thread, 0)
            }
            for name in pids
            if name != "sim"
        },
    }
    if totals.last_error:
        result["last_error"] = totals.last_error
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:6005")
    parser.add_argument("--public-key-url", default="http://127.0.0.1:61232/public.pem")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--aes-key", default="1234567887654321")
    parser.add_argument("--password", default="88888888")
    parser.add_argument("--pid", action="append", default=[], help="NAME=PID of a server process to charge CPU to")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
