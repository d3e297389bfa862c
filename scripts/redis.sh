#!/usr/bin/env bash
# A project-local Redis on loopback: scripts/redis.sh start|stop PORT DIR
# Append-only persistence and no eviction, so acknowledged broker messages survive a restart.
set -euo pipefail
cmd=$1 port=$2 dir=$3
case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
      --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
      --save "" --protected-mode yes
    for _ in $(seq 50); do
      redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && exit 0
      sleep 0.1
    done
    echo "redis: did not answer on 127.0.0.1:$port (see $dir/redis.log)" >&2
    exit 1
    ;;
  stop)
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop PORT DIR" >&2; exit 2 ;;
esac
