#!/usr/bin/env bash
# `make prod`: the production stack on loopback, to try it out: a throwaway PostgreSQL under
# var/prod, a project-local Redis (append-only), gunicorn, Celery workers for the `sizing` and
# `reports` queues started separately, and Celery beat once. Ctrl-C stops everything.
# The reference deployment (systemd units, HTTPS proxy) is in docs/deploy.md.
set -uo pipefail
cd "$(dirname "$0")/.."
PROD=var/prod
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

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "prod: stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  scripts/redis.sh stop "$REDIS_PORT" "$PROD/redis"
  scripts/pg.sh stop "$PG_PORT" "$PROD/pg"
  echo "prod: stopped."
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
  $PY manage.py seed_demo
fi

.venv/bin/celery -A portal worker -Q sizing -c "$CPUS" -n "sizing@%h" --loglevel INFO >>"$PROD/log/sizing.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A portal worker -Q reports -c 1 -n "reports@%h" --max-tasks-per-child 20 --loglevel INFO >>"$PROD/log/reports.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A portal beat --schedule "$PROD/celerybeat-schedule" --loglevel INFO >>"$PROD/log/beat.log" 2>&1 &
pids+=($!)
echo "prod: PostgreSQL 127.0.0.1:$PG_PORT, Redis 127.0.0.1:$REDIS_PORT, workers sizing ($CPUS) and reports (1), beat"
echo "prod: gunicorn on http://127.0.0.1:$PORT/ ($((2 * CPUS + 1)) workers); logs in $PROD/log/. Ctrl-C stops"
.venv/bin/gunicorn portal.wsgi -w $((2 * CPUS + 1)) -b "127.0.0.1:$PORT" --access-logfile - \
  --graceful-timeout 20 --timeout 60 >>"$PROD/log/web.log" 2>&1 &
pids+=($!)
wait "${pids[-1]}"
