#!/usr/bin/env bash
# `make prod`: the production stack on loopback, to try it out: a throwaway PostgreSQL under
# var/prod, a project-local Redis (append-only), gunicorn, Celery workers for the `sizing` and
# `reports` queues started separately, and Celery beat once. Ctrl-C stops everything.
# The reference deployment (systemd units, HTTPS proxy) is in docs/deploy.md.
#
# Knobs (environment): PORT, PG_PORT, REDIS_PORT, PROD_DIR (default var/prod), SIZING_WORKERS
# (separate sizing worker processes, default 1), SIZING_CONCURRENCY (pool processes of each,
# default one per CPU), WEB_WORKERS (gunicorn's, default 2 x CPUs + 1), and SEED_DEMO_ARGS
# (arguments of the first seed_demo, e.g. "--apps 1000 --vms 10000").
# bench/load.py starts this script with its own ports and directory and kills a worker.
set -uo pipefail
cd "$(dirname "$0")/.."
PROD=${PROD_DIR:-var/prod}
SIZING_WORKERS=${SIZING_WORKERS:-1}
export PORT=${PORT:-8000}
PG_PORT=${PG_PORT:-55433}
REDIS_PORT=${REDIS_PORT:-6392}
mkdir -p "$PROD/log"
[ -f "$PROD/secret_key" ] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" >"$PROD/secret_key"
export DEBUG=0 SECRET_KEY_FILE="$PWD/$PROD/secret_key" ALLOWED_HOSTS=127.0.0.1,localhost
# Plain HTTP on loopback for the trial; behind a TLS proxy leave these on (docs/deploy.md).
export SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/planner" DB_CONN_MAX_AGE=60
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" LOG_FORMAT=json
PY=.venv/bin/python
CPUS=$(nproc)
SIZING_CONCURRENCY=${SIZING_CONCURRENCY:-$CPUS}
WEB_WORKERS=${WEB_WORKERS:-$((2 * CPUS + 1))}

pids=() workers=()
cleanup() {
  trap - EXIT
  trap "" INT TERM  # a second Ctrl-C, or make passing on a TERM, must not cut the cleanup short
  echo "prod: stopping..."
  touch "$PROD/stopping"  # the supervise loops see it and do not restart their worker
  for f in "$PROD"/sizing*.pid "$PROD"/reports.pid; do
    [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
  done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}" "${workers[@]}"; do wait "$pid" 2>/dev/null; done
  scripts/redis.sh stop "$REDIS_PORT" "$PROD/redis"
  scripts/pg.sh stop "$PG_PORT" "$PROD/pg"
  rm -f "$PROD/stopping"
  echo "prod: stopped."
}
# Restart a worker that exits, as systemd's Restart=always does in the reference deployment
# (deploy/systemd): a worker killed by SIGKILL or by the OOM killer, or one that gives up when
# the broker connection drops (Celery 5.7 exits with "Unrecoverable error" when Redis restarts
# while it holds unacknowledged tasks; docs/deploy.md), is back within seconds. Its
# unacknowledged tasks return to the queue after the visibility timeout.
supervise() {  # supervise PIDFILE COMMAND...
  local pidfile=$1
  shift
  while :; do
    "$@" --pidfile "$pidfile"
    rc=$?
    rm -f "$pidfile"  # a killed worker leaves it behind; its pid may be reused
    [ -f "$PROD/stopping" ] && return
    echo "prod: $* exited ($rc); restarting in 2 s" >&2
    sleep 2
    [ -f "$PROD/stopping" ] && return
  done
}
trap cleanup INT TERM EXIT

scripts/pg.sh start "$PG_PORT" "$PROD/pg" || exit 1
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='planner'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE planner" || exit 1
scripts/redis.sh start "$REDIS_PORT" "$PROD/redis" || exit 1
$PY manage.py migrate --no-input -v0 || exit 1
$PY manage.py collectstatic --no-input -v0 || exit 1
$PY manage.py check --deploy --fail-level ERROR -v0 || exit 1
if [ "$($PY manage.py shell -c 'from planner.models import Application; print(Application.objects.exists())' | tail -1)" != "True" ]; then
  # shellcheck disable=SC2086 # word splitting of the arguments is wanted
  $PY manage.py seed_demo ${SEED_DEMO_ARGS:-}
fi

rm -f "$PROD/stopping"
# Workers run at a lower CPU priority (Nice=10 in deploy/systemd): on one host, pages come first
# and background work takes what they leave.
for n in $(seq 1 "$SIZING_WORKERS"); do
  supervise "$PROD/sizing$n.pid" nice -n 10 .venv/bin/celery -A portal worker -Q sizing -c "$SIZING_CONCURRENCY" \
    -n "sizing$n@%h" --loglevel INFO >>"$PROD/log/sizing$n.log" 2>&1 &
  workers+=($!)
done
supervise "$PROD/reports.pid" nice -n 10 .venv/bin/celery -A portal worker -Q reports -c 1 -n "reports@%h" \
  --max-tasks-per-child 20 --loglevel INFO >>"$PROD/log/reports.log" 2>&1 &
workers+=($!)
.venv/bin/celery -A portal beat --schedule "$PROD/celerybeat-schedule" --loglevel INFO >>"$PROD/log/beat.log" 2>&1 &
pids+=($!)
echo "prod: PostgreSQL 127.0.0.1:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT, sizing workers: $SIZING_WORKERS x $SIZING_CONCURRENCY, reports (1), beat"
echo "prod: gunicorn on http://127.0.0.1:$PORT/ ($WEB_WORKERS workers); logs in $PROD/log/. Ctrl-C stops"
.venv/bin/gunicorn portal.wsgi -c deploy/gunicorn.conf.py -w "$WEB_WORKERS" -b "127.0.0.1:$PORT" \
  --access-logfile - --graceful-timeout 20 --timeout 60 >>"$PROD/log/web.log" 2>&1 &
pids+=($!)
wait "${pids[-1]}"
