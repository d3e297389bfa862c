#!/usr/bin/env bash
# `make run`: the whole portal on loopback for one person trying it: a project-local Redis, a
# Celery worker (queues sizing and reports), Celery beat and the web server. Ctrl-C stops all.
set -uo pipefail
cd "$(dirname "$0")/.."
export DEBUG=${DEBUG:-1}
export PORT=${PORT:-8000}
export REDIS_PORT=${REDIS_PORT:-6390}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
mkdir -p var/log
PY=.venv/bin/python

pids=()
redis_started=0
cleanup() {
  trap - INT TERM EXIT
  echo "run: stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$redis_started" = 1 ]; then scripts/redis.sh stop "$REDIS_PORT" var/redis; fi
  echo "run: stopped."
}
trap cleanup INT TERM EXIT

$PY manage.py migrate --no-input -v0 || exit 1
if [ "$($PY manage.py shell -c 'from planner.models import Application; print(Application.objects.exists())' 2>/dev/null | tail -1)" != "True" ]; then
  $PY manage.py seed_demo
fi

if scripts/redis.sh start "$REDIS_PORT" var/redis; then
  redis_started=1
  echo "run: Redis on 127.0.0.1:$REDIS_PORT (append-only, data in var/redis)"
else
  echo "run: WARNING: Redis could not be started; the portal serves, sizing runs stay pending" \
       "until a broker answers (see /healthz)." >&2
fi

.venv/bin/celery -A portal worker -Q sizing,reports -c 2 -n "worker@%h" --loglevel INFO \
  >>var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A portal beat --loglevel INFO --schedule var/celerybeat-schedule \
  >>var/log/beat.log 2>&1 &
pids+=($!)
echo "run: Celery worker and beat started (logs in var/log/)"
echo "run: portal on http://127.0.0.1:$PORT/  (admin: /admin/, health: /healthz)  Ctrl-C stops"
$PY manage.py runserver "127.0.0.1:$PORT" --noreload &
pids+=($!)
wait "${pids[-1]}"
