#!/usr/bin/env bash
# The API tests run on PostgreSQL too: make sure a local server answers.
set -euo pipefail
host=127.0.0.1; port=${PGPORT:-5432}
if pg_isready -q -h "$host" -p "$port"; then exit 0; fi
echo ">> starting the local PostgreSQL cluster"
if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && exit 0; sleep 1; done
echo "PostgreSQL is not reachable on $host:$port; install it (apt-get install postgresql) or set TEST_POSTGRES_URL" >&2
exit 1
