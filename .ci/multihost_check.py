"""The multi-host layout's promises, checked on compose.multihost.yaml (imported by check-compose.py --multihost)."""

BACKING = {"auth": ["AUTH"], "scheduler": ["SCHEDULER", "EVENTS", "INGEST"], "menu": ["MENU"], "signer": ["SIGNER"]}
CONNECTS = {
    "ws-edge": ["auth", "scheduler", "menu", "signer"],
    "answer-worker": ["scheduler"],
    "auth": ["scheduler"],
    "menu": ["scheduler"],
}
ENDPOINTS = ["AUTH", "SCHEDULER", "MENU", "SIGNER", "EVENTS", "INGEST"]


def check(doc, services, fail):
    for name in ["ws-edge", "auth", "scheduler", "signer", "menu", "answer-worker", "redis-master", "redis-replica"]:
        if name not in services:
            fail(f"service {name} is missing")
    sentinels = [n for n in services if n.startswith("sentinel")]
    if len(sentinels) < 3:
        fail(f"need three sentinels for a quorum, found {sentinels}")
    if "--replicaof" not in " ".join(map(str, services["redis-replica"].get("command", []))):
        fail("redis-replica does not replicate the master")
    declared = doc.get("secrets") or {}
    for name, s in services.items():
        if name.startswith("redis") or name.startswith("sentinel"):
            continue
        env = s.get("environment") or {}
        if s.get("restart") not in ("unless-stopped", "always"):
            fail(f"{name}: restart must be unless-stopped or always")
        if not (s.get("healthcheck") or {}).get("test"):
            fail(f"{name}: no healthcheck")
        for key in ENDPOINTS:
            if not str(env.get(f"SWITCHBOARD_{key}_ENDPOINT", "")).startswith("tcp://"):
                fail(f"{name}: SWITCHBOARD_{key}_ENDPOINT must be tcp:// across hosts")
        if env.get("SWITCHBOARD_BUS_INSECURE"):
            fail(f"{name}: SWITCHBOARD_BUS_INSECURE has no place in the multi-host layout")
        keys_dir = env.get("SWITCHBOARD_BUS_KEYS_DIR") or fail(f"{name}: SWITCHBOARD_BUS_KEYS_DIR is not set")
        if not env.get("SWITCHBOARD_REDIS_SENTINELS") or not env.get("SWITCHBOARD_REDIS_MASTER"):
            fail(f"{name}: SWITCHBOARD_REDIS_SENTINELS and SWITCHBOARD_REDIS_MASTER must be set")
        targets = set()
        for entry in s.get("secrets") or []:
            source = entry.get("source") if isinstance(entry, dict) else entry
            if source not in declared:
                fail(f"{name}: secret {source} is not declared")
            target = entry.get("target", "") if isinstance(entry, dict) else ""
            if not target.startswith(keys_dir + "/"):
                fail(f"{name}: secret {source} is not mounted under {keys_dir}")
            targets.add(target[len(keys_dir) + 1:])
        kind = name
        binds = BACKING.get(name, [])
        for key in binds:
            if not str(env[f"SWITCHBOARD_{key}_ENDPOINT"]).startswith("tcp://*:"):
                fail(f"{name}: binds SWITCHBOARD_{key}_ENDPOINT, which must be tcp://*:PORT")
        if binds:
            if f"servers/{kind}.key" not in targets:
                fail(f"{name}: its server key servers/{kind}.key is not among its secrets")
            if not any(t.startswith("clients/") and t.endswith(".pub") for t in targets):
                fail(f"{name}: no client .pub files, so its ZAP handler would admit nobody")
        for server in CONNECTS.get(name, []):
            if f"servers/{server}.pub" not in targets or f"clients/{kind}.key" not in targets:
                fail(f"{name}: connects to {server} but lacks servers/{server}.pub or clients/{kind}.key")
        for t in targets:
            if t.startswith("servers/") and t.endswith(".key") and t != f"servers/{kind}.key":
                fail(f"{name}: holds another service's server secret {t}")
    edge = services["ws-edge"]
    constraints = " ".join(((edge.get("deploy") or {}).get("placement") or {}).get("constraints") or [])
    if "edge" not in constraints:
        fail("ws-edge: must be placed on the edge hosts (deploy.placement.constraints)")
