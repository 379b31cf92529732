#!/usr/bin/env python3
"""Structural check of compose.yaml, since no Docker engine runs on the CI machines.

It checks what `docker compose config` would reject or what the design requires: every Switchboard service is there,
built from the Dockerfile, restarts on its own, has a healthcheck, shares the run dir volume; Redis keeps an AOF on a volume.
"""
import sys
import yaml

REQUIRED = ["ws-edge", "auth", "scheduler", "signer", "menu"]

def fail(message):
    print(f"compose check: {message}")
    sys.exit(1)

path = sys.argv[1] if len(sys.argv) > 1 else "compose.yaml"
with open(path) as f:
    doc = yaml.safe_load(f)
services = doc.get("services") or fail("no services")
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
