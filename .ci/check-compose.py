#!/usr/bin/env python3
"""Structural check of compose.yaml, since no Docker engine runs on the CI machines (`docker-compose config -q` runs too).

It checks what `docker compose config` would not or what the design requires: every process `make run` starts is there,
built from the Dockerfile, restarts on its own, has a healthcheck, shares the run dir volume; Redis keeps an AOF on a volume;
every command is an executable the Dockerfile puts in the image.
With --multihost (compose.multihost.yaml): tcp:// endpoints everywhere, CURVE keys from secrets, Redis through Sentinel.
"""
import re
import sys
import yaml

REQUIRED = ["ws-edge", "auth", "scheduler", "signer", "menu", "answer-worker"]

def fail(message):
    print(f"compose check: {message}")
    sys.exit(1)

args = [a for a in sys.argv[1:] if not a.startswith("--")]
multihost = "--multihost" in sys.argv
path = args[0] if args else "compose.yaml"
with open(path) as f:
    doc = yaml.safe_load(f)
services = doc.get("services") or fail("no services")

# Every Switchboard command must be an executable the image carries.
with open("Dockerfile") as f:
    copied = re.search(r"for exe in ([^;]+);", f.read())
image_executables = set(copied.group(1).split()) if copied else set()
for name, s in services.items():
    command = s.get("command") or []
    if "image" in s and str(s["image"]).startswith("redis"):
        continue
    if command and command[0] not in image_executables:
        fail(f"{name}: runs {command[0]}, which the Dockerfile does not copy into the image ({sorted(image_executables)})")
    test = (s.get("healthcheck") or {}).get("test") or []
    if len(test) > 1 and test[0] == "CMD" and test[1] == "switchboard" and "switchboard" not in image_executables:
        fail(f"{name}: the healthcheck needs switchboard in the image")

if multihost:
    import multihost_check
    multihost_check.check(doc, services, fail)
    print(f"compose check: {path} ok ({len(services)} services, multi-host)")
    sys.exit(0)
if "signer-sim" not in services:
    fail("service signer-sim is missing (make run starts it when no e-port upstream is set)")
volumes = doc.get("volumes") or {}
for name in REQUIRED + ["redis"]:
    if name not in services:
        fail(f"service {name} is missing")
for name in REQUIRED:
    s = services[name]
    if s.get("restart") not in ("unless-stopped", "always"):
        fail(f"{name}: restart must be unless-stopped or always")
    test = (s.get("healthcheck") or {}).get("test")
    if not test:
        fail(f"{name}: no healthcheck")
    if "build" not in s and "image" not in s:
        fail(f"{name}: neither build nor image")
    mounts = [str(v) for v in s.get("volumes", [])]
    if not any(m.startswith("run:") for m in mounts):
        fail(f"{name}: does not mount the shared run volume")
    env = s.get("environment") or {}
    if "SWITCHBOARD_RUN_DIR" not in env or "SWITCHBOARD_REDIS_URL" not in env:
        fail(f"{name}: SWITCHBOARD_RUN_DIR and SWITCHBOARD_REDIS_URL must be set")
    if "SWITCHBOARD_JWT_SECRET" in env:
        fail(f"{name}: the JWT secret belongs in the env file, not in compose.yaml")
    env_files = s.get("env_file") or []
    if isinstance(env_files, str):
        env_files = [env_files]
    if not any("secrets/" in str(f) for f in env_files):
        fail(f"{name}: must read SWITCHBOARD_JWT_SECRET from an env file under secrets/")
    for dep in (s.get("depends_on") or {}):
        if dep not in services:
            fail(f"{name}: depends on unknown service {dep}")
redis = services["redis"]
command = " ".join(map(str, redis.get("command", [])))
if "--appendonly yes" not in command:
    fail("redis: AOF is not on")
if not any(str(v).split(":")[0] in volumes for v in redis.get("volumes", [])):
    fail("redis: data is not on a named volume")
for v in ("run", ):
    if v not in volumes:
        fail(f"volume {v} is not declared")
if (services["ws-edge"].get("environment") or {}).get("SWITCHBOARD_HTTP_HOST") != "0.0.0.0":
    fail("ws-edge: must set SWITCHBOARD_HTTP_HOST=0.0.0.0 (the default is loopback)")
if "ports" in services["ws-edge"] and any("6005" not in str(p) for p in services["ws-edge"]["ports"]):
    fail("ws-edge: must publish port 6005")
print(f"compose check: {path} ok ({len(services)} services)")
