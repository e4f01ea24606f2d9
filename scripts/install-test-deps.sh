#!/usr/bin/env bash
# Installs the real servers and tools the tests use, from Debian's packages,
# when they are missing: redis-server (ratelimit's shared buckets) and
# prometheus (for promtool). Idempotent; needs root or sudo only when
# something is missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
command -v promtool >/dev/null 2>&1 || [ -x /usr/bin/promtool ] || need+=(prometheus)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-test-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian packages start their services; tests start their own on free ports.
for svc in redis-server prometheus; do
  if command -v systemctl >/dev/null 2>&1; then $sudo systemctl stop "$svc" >/dev/null 2>&1 || true; fi
  $sudo service "$svc" stop >/dev/null 2>&1 || true
done
