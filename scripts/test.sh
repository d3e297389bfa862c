#!/usr/bin/env bash
# `make test`: ruff, mypy on the engine, then the whole pytest suite on SQLite and again on a throwaway PostgreSQL
# cluster on loopback under var/. Tests start their own Redis and Celery workers (tests/conftest.py).
# Each pass runs in one pytest-xdist worker per core (TEST_WORKERS=auto; TEST_WORKERS=0 runs in
# one process); each worker has its own SQLite file or PostgreSQL test database (copies of one
# migrated per pass: tests/conftest.py) and its own Redis.
# The PostgreSQL pass leaves out the tests that open no database (marked no_db by tests/conftest.py:
# the engine's unit tests, the README's commands, settings read in a subprocess): they run the same
# on both, so once is enough. pytest's exit status 5 (every test left out) is a pass there.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_PORT=${PG_PORT:-55432}
PG_DIR=var/test-pg
WORKERS=(-n "${TEST_WORKERS:-auto}")
mkdir -p var test-output

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== mypy --strict (the engine: [tool.mypy] in pyproject.toml)"
.venv/bin/mypy

echo "== pytest on SQLite"
env -u DATABASE_URL .venv/bin/python -m pytest "${WORKERS[@]}" "$@"

echo "== pytest on PostgreSQL (127.0.0.1:$PG_PORT, $PG_DIR)"
scripts/pg.sh destroy "$PG_PORT" "$PG_DIR"
trap 'scripts/pg.sh destroy "$PG_PORT" "$PG_DIR"' EXIT
PG_FAST=1 scripts/pg.sh start "$PG_PORT" "$PG_DIR"
status=0
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/planner" .venv/bin/python -m pytest \
  "${WORKERS[@]}" -m "not no_db" "$@" || status=$?
[ "$status" = 0 ] || [ "$status" = 5 ] || exit "$status"
