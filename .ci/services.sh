#!/usr/bin/env bash
# Installs the servers the datastore adapters' tests run against, from
# Debian, when they are missing: redis-server (middleware/chaosredis) and
# PostgreSQL (middleware/chaospgx, middleware/chaossql). It starts nothing:
# each test package starts a throwaway server on 127.0.0.1 itself.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	need+=(postgresql)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "services.sh: ${need[*]} missing, and no apt-get as root to install them; their tests will skip" >&2
	exit 0
fi
echo "== installing ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
