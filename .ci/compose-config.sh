#!/usr/bin/env bash
# `docker-compose config -q` (Debian's docker-compose 1.29: the strongest validator without a Docker engine) on each
# compose file, in a scratch copy with stand-in secrets so that the env file and key files it names exist.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp "$root/Dockerfile" "$scratch/"
mkdir -p "$scratch/secrets/bus-keys/servers" "$scratch/secrets/bus-keys/clients"
: > "$scratch/secrets/jwt.env"
for file in "$@"; do
    cp "$root/$file" "$scratch/"
    { grep -o "secrets/bus-keys/[a-z/.-]*" "$root/$file" || true; } | while read -r key; do : > "$scratch/$key"; done
    # Required variables (${VAR:?…}) get stand-ins; everything else keeps its default.
    (cd "$scratch" && SWITCHBOARD_SIGNER_UPSTREAM=ws://eport.invalid:61232/ docker-compose -f "$file" config -q)
    echo "docker-compose config: $file ok"
done
