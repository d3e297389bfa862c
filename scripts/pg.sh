#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback: scripts/pg.sh start|stop|destroy PORT DIR
# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
# That user must reach DIR; when a parent of the checkout is closed to it (a clone under
# `mktemp -d`, mode 0700), the cluster lives in /tmp/recovery-planner-pg-<hash of DIR> instead,
# and DIR/location says where. `destroy` stops the cluster and removes both.
# PG_FAST=1 turns fsync off (throwaway test clusters only).
set -euo pipefail
cmd=$1 port=$2 dir=$3
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "pg: PostgreSQL is not installed (make install)" >&2; exit 1; }
as_owner() {  # from /, which the postgres user can always enter (paths here are absolute)
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
if [ -d "$dir" ]; then dir=$(cd "$dir" && pwd); fi
home_of() {  # where the cluster of DIR lives (DIR itself, or what DIR/location names)
  if [ -f "$dir/location" ]; then cat "$dir/location"; else echo "$dir"; fi
}
stop() {
  local home
  home=$(home_of)
  if [ -f "$home/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null || true
  fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    home=$dir
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$dir"
      if ! as_owner test -w "$dir"; then
        home=/tmp/recovery-planner-pg-$(printf %s "$dir" | sha256sum | cut -c1-16)
        install -d -o postgres -g postgres -m 0700 "$home"
        echo "$home" >"$dir/location"
        echo "pg: $dir is closed to the postgres user; the cluster lives in $home" >&2
      fi
    fi
    if [ ! -f "$home/data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$home/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log"
    fi
    as_owner "$bindir/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $home ${PG_FAST:+-c fsync=off -c full_page_writes=off}" start >/dev/null
    ;;
  stop) stop ;;
  destroy)
    stop
    home=$(home_of)
    rm -rf "$dir"
    [ "$home" != "$dir" ] && rm -rf "$home"
    true
    ;;
  *) echo "usage: $0 start|stop|destroy PORT DIR" >&2; exit 2 ;;
esac
