# Recovery Planner. `make run` serves the portal; `make test` runs every test. Both install first.
.PHONY: install run test lint format bench

install:
	bash scripts/install.sh

run: install
	bash scripts/run.sh

test: install
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench: install
	bash scripts/bench.sh
