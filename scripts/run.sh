#!/usr/bin/env bash
# `make run`: the whole portal on loopback for one person trying it: a project-local Redis, a
# Celery worker (queues sizing and reports), Celery beat and the web server. Ctrl-C stops all.
# On the first start it seeds the demo estate, then (once the worker is up) sizes it through the
# worker and leaves a plan in every state (manage.py prepare_demo; until it has finished,
# var/demo-pending says so and the next start picks it up again).
# Knobs (environment): PORT, REDIS_PORT, VAR_DIR (default var: database, logs, Redis data).
set -uo pipefail
cd "$(dirname "$0")/.."
export DEBUG=${DEBUG:-1}
export PORT=${PORT:-8000}
export REDIS_PORT=${REDIS_PORT:-6390}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
VAR=${VAR_DIR:-var}
if [ -n "${VAR_DIR:-}" ]; then export VAR_DIR; fi
mkdir -p "$VAR/log"
# What manage.py commands typed later in this checkout read (portal/settings.py): the same
# development mode and broker, without exporting anything.
printf '# Written by scripts/run.sh: the settings of `make run`, read by manage.py when the\n# environment does not set them. Delete it to stop that.\nDEBUG=%s\nREDIS_URL=%s\n' \
  "$DEBUG" "$REDIS_URL" >"$VAR/dev.env"
PY=.venv/bin/python

pids=()
redis_started=0
cleanup() {
  trap - EXIT
  trap "" INT TERM  # a second Ctrl-C, or make passing on a TERM, must not cut the cleanup short
  echo "run: stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$redis_started" = 1 ]; then scripts/redis.sh stop "$REDIS_PORT" "$VAR/redis"; fi
  echo "run: stopped."
}
trap cleanup INT TERM EXIT

$PY manage.py migrate --no-input -v0 || exit 1
if [ "$($PY manage.py shell -c 'from planner.models import Application; print(Application.objects.exists())' 2>/dev/null | tail -1)" != "True" ]; then
  $PY manage.py seed_demo && touch "$VAR/demo-pending"
fi

if scripts/redis.sh start "$REDIS_PORT" "$VAR/redis"; then
  redis_started=1
  echo "run: Redis on 127.0.0.1:$REDIS_PORT (append-only, data in $VAR/redis)"
else
  echo "run: WARNING: Redis could not be started; the portal serves, sizing runs stay pending" \
       "until a broker answers (see /healthz)." >&2
fi

.venv/bin/celery -A portal worker -Q sizing,reports -c 2 -n "worker@%h" --loglevel INFO \
  >>"$VAR/log/worker.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A portal beat --loglevel INFO --schedule "$VAR/celerybeat-schedule" \
  >>"$VAR/log/beat.log" 2>&1 &
pids+=($!)
echo "run: Celery worker and beat started (logs in $VAR/log/)"
if [ -f "$VAR/demo-pending" ] && [ "$redis_started" = 1 ]; then
  # The demo at work: the worker sizes the estate (progress below), then plans in every state.
  $PY manage.py prepare_demo --pending-file "$VAR/demo-pending" &
  pids+=($!)
fi
echo "run: portal on http://127.0.0.1:$PORT/  (admin: /admin/, health: /healthz)  Ctrl-C stops"
$PY manage.py runserver "127.0.0.1:$PORT" --noreload &
web=$!
pids+=("$web")
wait "$web"
