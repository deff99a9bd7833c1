#!/usr/bin/env bash
# The lock-store tests (bot/lock_store.py) run against a real Redis: make sure one answers
# at TEST_REDIS_URL (default redis://127.0.0.1:6379/0) and print that URL. A Redis already
# answering there is used as it is; otherwise Debian's redis-server is started on that
# port (no persistence, files under var/redis/) and left running, like ensure_postgres.sh
# leaves PostgreSQL. The tests keep their keys under their own prefixes.
set -euo pipefail
url=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
rest=${url#*://}; rest=${rest#*@}; hostport=${rest%%/*}
host=${hostport%%:*}; port=${hostport##*:}
[ "$port" = "$hostport" ] && port=6379

pong() {  # PING over bash's /dev/tcp: no redis-cli needed
  local reply
  { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 2 reply <&3 || reply=
  exec 3<&- 3>&-
  [[ $reply == +PONG* || $reply == -NOAUTH* ]]
}

if pong; then echo "$url"; exit 0; fi
case $host in 127.0.0.1|localhost) ;; *)
  echo "Redis is not reachable at $host:$port (TEST_REDIS_URL)" >&2; exit 1 ;;
esac
if ! command -v redis-server >/dev/null; then
  echo "Redis is not reachable on $host:$port; install it (apt-get install redis-server) or set TEST_REDIS_URL" >&2
  exit 1
fi
dir="$(cd "$(dirname "$0")/.." && pwd)/var/redis"; mkdir -p "$dir"
echo ">> starting redis-server on $host:$port ($dir)" >&2
redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$dir" \
  --pidfile "$dir/redis-$port.pid" --logfile "$dir/redis-$port.log" --save '' --appendonly no >&2
for _ in $(seq 1 50); do pong && { echo "$url"; exit 0; }; sleep 0.2; done
echo "redis-server did not answer on $host:$port (see $dir/redis-$port.log)" >&2
exit 1
