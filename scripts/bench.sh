#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, one after another. Each prints figures (never
# pass/fail) and ends with a `ratio:` (or `p95_ms:`) line. BENCH=name runs just that one.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in bench/*.py; do
  name=$(basename "$script" .py)
  if [ "$name" = common ]; then continue; fi  # what the benchmarks share, not one of them
  if [ -n "${BENCH:-}" ] && [ "$BENCH" != "$name" ]; then continue; fi
  echo "== $name"
  .venv/bin/python "$script"
done
