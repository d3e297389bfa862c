# Recovery Planner. `make run` serves the portal; `make test` runs every test. Both install first.
# `make test-fast` (the edit loop: unit and web tests on SQLite) uses what `make install` put in.
.PHONY: install install-prod lock run prod upgrade test test-fast lint format bench

install:
	bash scripts/install.sh

install-prod:
	bash scripts/install.sh --production

lock:
	bash scripts/lock.sh

run: install
	bash scripts/run.sh

prod: install
	bash scripts/prod.sh

upgrade: install
	.venv/bin/python manage.py migrate --no-input
	.venv/bin/python manage.py collectstatic --no-input -v0

test: install
	bash scripts/test.sh

test-fast:
	env -u DATABASE_URL -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX="$(CURDIR)/var/pycache" \
	  .venv/bin/python -m pytest -n "$${TEST_WORKERS:-auto}" -q tests/unit tests/web

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench: install
	bash scripts/bench.sh
