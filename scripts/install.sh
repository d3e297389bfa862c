#!/usr/bin/env bash
# Install what `make run` and `make test` need: Debian packages (only those missing) and the
# Python packages of requirements-dev.lock into .venv (only when the lock changed).
# `--production` (make install-prod, docs/deploy.md): only what a server runs, from
# requirements.lock (no test tools, no browser); a .venv installed that way stays a production
# one (make install and make upgrade keep to requirements.lock). Both locks pin every file by
# its hash and come from the public package index: scripts/lock.sh makes them.
set -euo pipefail
cd "$(dirname "$0")/.."

LOCK=requirements-dev.lock
APT_PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core  # WeasyPrint's text layout and fonts
  python3-venv            # python3 -m venv on Debian
)
if [ "${1:-}" = --production ] || [ "$(cat .venv/.lock-name 2>/dev/null)" = requirements.lock ]; then
  LOCK=requirements.lock
else
  APT_PACKAGES+=(
    redis-server          # the broker (make run starts a project-local one)
    postgresql            # the throwaway cluster of make test and make prod
    chromium              # browser tests (Playwright drives /usr/bin/chromium)
    poppler-utils         # pdftoppm/pdftotext, to look at rendered plans
  )
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install: Debian packages missing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The packaged services are not ours to run: the project starts its own on loopback.
  for svc in redis-server postgresql; do
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || $SUDO service "$svc" stop >/dev/null 2>&1 || true
  done
fi

PYTHON=${PYTHON:-python3}
stamp=.venv/.lock-sha256
want=$(sha256sum "$LOCK" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install: Python packages from $LOCK"
  # A current pip first: older ones refuse hashed requirements with extras (fonttools[woff]).
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q --require-hashes -r "$LOCK"
  echo "$want" >"$stamp"
  echo "$LOCK" >.venv/.lock-name
fi
