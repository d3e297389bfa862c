#!/usr/bin/env bash
# Install what `make run` and `make test` need: Debian packages (only those missing) and the
# Python packages of requirements.lock into .venv (only when the lock changed).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  redis-server            # the broker (make run starts a project-local one)
  postgresql              # the throwaway cluster of make test and make prod
  chromium                # browser tests (Playwright drives /usr/bin/chromium)
  libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core  # WeasyPrint's text layout and fonts
  poppler-utils           # pdftoppm/pdftotext, to look at rendered plans
  python3-venv            # python3 -m venv on Debian
)

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
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install: Python packages from requirements.lock"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q --require-hashes -r requirements.lock
  echo "$want" >"$stamp"
fi
