#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, one after another. Each prints figures (never
# pass/fail) and ends with a `ratio:` (or `p95_ms:`, `cpu_ms:`) line. BENCH=name runs just that
# one.
# BENCH_QUICK=1 runs each at a toy size (seconds, not minutes: to check that they run, the
# figures mean nothing); BENCH_ARGS adds arguments (with BENCH=name: that script's --help).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A QUICK=(
  [api_lists]="--apps 12 --vms 60 --runs 1"
  [arm_sync]="--vms 60 --apps 6"
  [import_inventory]="--vms 60 --runs 1"
  [list_pages]="--apps 12 --vms 60 --runs 1"
  [load]="--users 2 --approvers 1 --duration 5 --importers 0 --apps 12 --vms 60 --spawn-rate 10 --think 1 --settle 60 --no-faults"
  [operator_overview]="--apps 12 --vms 60 --runs 1 --plans 2"
  [page_cpu]="--apps 12 --vms 60 --users 2 --runs 1"
  [pdf_plan]="--vms 12 --big 24 --runs 1 --no-chromium"
  [sizing_estate]="--apps 12 --vms 60 --runs 1 --no-pg"
)
for script in bench/*.py; do
  name=$(basename "$script" .py)
  if [ "$name" = common ]; then continue; fi  # what the benchmarks share, not one of them
  if [ -n "${BENCH:-}" ] && [ "$BENCH" != "$name" ]; then continue; fi
  args=()
  if [ "${BENCH_QUICK:-0}" = 1 ]; then read -ra args <<<"${QUICK[$name]:-}"; fi
  read -ra extra <<<"${BENCH_ARGS:-}"
  echo "== $name${args[*]:+ (quick: ${args[*]})}"
  .venv/bin/python "$script" "${args[@]}" "${extra[@]}"
done
