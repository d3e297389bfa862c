#!/usr/bin/env bash
# `make test`: ruff, mypy on the engine, then the whole pytest suite on SQLite and again on a throwaway PostgreSQL
# cluster on loopback under var/. Tests start their own Redis and Celery workers (tests/conftest.py).
# Each pass runs in one pytest-xdist worker per core (TEST_WORKERS=auto; TEST_WORKERS=0 runs in
# one process); each worker has its own SQLite file or PostgreSQL test database (copies of one
# migrated per pass: tests/conftest.py) and its own Redis.
# The two passes run at the same time: a test spends much of its time waiting (for a Celery
# worker, a subprocess, a browser), and one pass alone kept two cores only 60 % busy. SQLite's
# output is shown as it comes; PostgreSQL's is kept in test-output/pytest-postgresql.log and shown
# after it. Nothing is shared between them: files are named by process id, servers take free ports.
# The PostgreSQL pass leaves out the tests that open no database (marked no_db by tests/conftest.py:
# the engine's unit tests, the README's commands, settings read in a subprocess): they run the same
# on both, so once is enough. pytest's exit status 5 (every test left out) is a pass there.
set -euo pipefail
cd "$(dirname "$0")/.."
# Python's bytecode and pytest's rewritten test modules kept under var/pycache, even where the
# environment says PYTHONDONTWRITEBYTECODE: else every process of the passes (xdist workers,
# Celery workers, manage.py in a subprocess) compiles the project and the tests again (a
# worker's collection of the suite: 8.3 s of CPU without, 5.4 s with).
export PYTHONPYCACHEPREFIX="$PWD/var/pycache"
unset PYTHONDONTWRITEBYTECODE
PG_PORT=${PG_PORT:-55432}
PG_DIR=var/test-pg
WORKERS=(-n "${TEST_WORKERS:-auto}")
mkdir -p var test-output

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== mypy --strict (the engine: [tool.mypy] in pyproject.toml)"
.venv/bin/mypy

PG_LOG=test-output/pytest-postgresql.log
echo "== PostgreSQL for the second pass (127.0.0.1:$PG_PORT, $PG_DIR)"
scripts/pg.sh destroy "$PG_PORT" "$PG_DIR"
pg_pass=
stop() {
  if [ -n "$pg_pass" ]; then kill "$pg_pass" 2>/dev/null || true; wait "$pg_pass" 2>/dev/null || true; fi
  scripts/pg.sh destroy "$PG_PORT" "$PG_DIR"
}
trap stop EXIT
PG_FAST=1 scripts/pg.sh start "$PG_PORT" "$PG_DIR"
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/planner" .venv/bin/python -m pytest \
  "${WORKERS[@]}" -m "not no_db" "$@" >"$PG_LOG" 2>&1 &
pg_pass=$!

echo "== pytest on SQLite"
sqlite_status=0
env -u DATABASE_URL .venv/bin/python -m pytest "${WORKERS[@]}" "$@" || sqlite_status=$?

pg_status=0
wait "$pg_pass" || pg_status=$?
pg_pass=
echo "== pytest on PostgreSQL (127.0.0.1:$PG_PORT, $PG_DIR; ran beside SQLite's pass: $PG_LOG)"
cat "$PG_LOG"
[ "$sqlite_status" = 0 ] || exit "$sqlite_status"
[ "$pg_status" = 0 ] || [ "$pg_status" = 5 ] || exit "$pg_status"
