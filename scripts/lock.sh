#!/usr/bin/env bash
# Regenerate both lock files from pyproject.toml, with the hashes of every file the public
# Python package index serves for each pinned version:
#   requirements.lock      production: `dependencies` only (docs/deploy.md, make install-prod)
#   requirements-dev.lock  development and tests: plus the `dev` extra (make install)
# Versions already pinned are kept unless pyproject.toml no longer allows them; UPGRADE=1 moves
# every package to its newest allowed version. The production lock is resolved within the
# development one, so both pin the same version of every package they share.
#
# pip-compile runs from a throwaway virtualenv, and pip's configuration files and index
# variables are ignored while it runs: a machine's local wheel folders or mirrors must never
# end up in (or decide) a lock that has to install anywhere. Check the result with
#   python3 -m venv /tmp/v && /tmp/v/bin/pip install --require-hashes -r requirements.lock
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
PIP_TOOLS=(pip==26.3 pip-tools==7.7.0)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_NO_INDEX PIP_CONSTRAINT PIP_REQUIREMENT
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
export CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh"

"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q "${PIP_TOOLS[@]}"

upgrade=()
if [ "${UPGRADE:-0}" = 1 ]; then upgrade=(--upgrade); fi
compile() {
  "$tmp/venv/bin/pip-compile" -q --generate-hashes --strip-extras --allow-unsafe \
    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
    --cache-dir "$tmp/cache" "${upgrade[@]}" "$@" pyproject.toml
}

echo "lock: requirements-dev.lock (dependencies + dev)"
compile --extra=dev --output-file=requirements-dev.lock
echo "lock: requirements.lock (dependencies), within the development pins"
compile --constraint=requirements-dev.lock --output-file=requirements.lock

# Refuse a lock that names a place only this machine knows.
if grep -nE '^-(-find-links|-extra-index-url|-index-url|f|i) |file://|^/' \
  requirements.lock requirements-dev.lock; then
  echo "lock: a lock file names a local index or folder (above): not portable" >&2
  exit 1
fi
echo "lock: done ($(grep -c '==' requirements.lock) production, $(grep -c '==' requirements-dev.lock) development pins)"
