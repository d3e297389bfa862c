#!/usr/bin/env bash
# `make test`: ruff, mypy on the engine, then the whole pytest suite on SQLite and again on a throwaway PostgreSQL
# cluster on loopback under var/. Tests start their own Redis and Celery workers (tests/conftest.py).
# Each pass runs in one pytest-xdist worker per core (TEST_WORKERS=auto; TEST_WORKERS=0 runs in
# one process); each worker has its own SQLite file or PostgreSQL test database and its own Redis.
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
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/planner" .venv/bin/python -m pytest "${WORKERS[@]}" "$@"
