# Thin wrappers over the real commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test test-fast test-tools lint openapi-lint openapi-examples migrate bench bench-10m bench-workers bench-dashboard bench-tools clean dashboard dashboard-check

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

migrate: install
	$(BIN)/datamachine-jobs db upgrade

run: migrate
	$(BIN)/datamachine-jobs demo --url http://$(HOST):$(PORT)
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

# Reports line and branch coverage of datamachine_jobs (setup.cfg's [coverage:*]).
test: install test-tools
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

# The in-process suite only (no servers, processes or load: tests marked slow), on both cores.
test-fast: install
	$(BIN)/python -m pytest -m 'not slow' -n 2 $(PYTEST_ARGS)

# The end-to-end tests run Debian's nginx (and curl and openssl) in front of gunicorn, and the
# dashboard's in Debian's Chromium (Playwright drives it; it downloads no browser of its own).
test-tools:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] && command -v curl >/dev/null 2>&1 \
	  && command -v openssl >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	  nginx-light curl openssl chromium; }

# Benchmarks (not part of the tests): wrk over loopback against the production gunicorn config,
# and runners writing jobs (bench/writes.py), on SQLite and MariaDB, with mysqlclient (the C
# driver) installed. Results go to bench/results/.
bench-tools: install
	command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	dpkg -s libmariadb-dev >/dev/null 2>&1 || apt-get install -y -qq libmariadb-dev
	$(BIN)/python -m pip install --quiet -e '.[dev,mysqlclient]'
	.ci/mariadb-up

bench: bench-tools
	$(BIN)/python bench/run.py --backend sqlite --size 100000 --skip-clear --skip-memory
	$(BIN)/python bench/run.py --backend sqlite --size 1000000
	$(BIN)/python bench/run.py --backend mysql --size 100000 --skip-clear --skip-memory
	$(BIN)/python bench/run.py --backend mysql --size 1000000
	$(BIN)/python bench/run.py --backend mysql --size 1000000 --clears-only --tuned
	$(BIN)/python bench/writes.py --backend sqlite --size 1000000
	$(BIN)/python bench/writes.py --backend mysql --size 1000000

bench-10m: bench-tools
	$(BIN)/python bench/run.py --backend sqlite --size 10000000 --skip-clear --skip-memory
	$(BIN)/python bench/run.py --backend mysql --size 10000000 --skip-clear --skip-memory
	$(BIN)/python bench/writes.py --backend sqlite --size 10000000
	$(BIN)/python bench/writes.py --backend mysql --size 10000000
	$(BIN)/python bench/run.py --backend sqlite --size 10000000 --clears-only
	$(BIN)/python bench/run.py --backend mysql --size 10000000 --clears-only

# The worker class and counts behind gunicorn.conf.py's defaults.
bench-workers: bench-tools
	$(BIN)/python bench/workers.py --backend sqlite --size 100000
	$(BIN)/python bench/workers.py --backend mysql --size 1000000

# The dashboard in Debian's Chromium (test-tools installs it): its first screen's bytes, and a
# filter click to the new rows on 1M and 100k SQLite jobs. Results go to bench/results/.
bench-dashboard: install test-tools
	$(BIN)/python bench/dashboard.py --size 1000000 --size 100000

# The dashboard's front end (dashboard/), built into datamachine_jobs/static/dashboard/, which is
# committed: a build from the same lockfile gives the same bytes.
dashboard:
	cd dashboard && npm ci && npm run build

# CI: the dashboard's lint, types and unit tests, and a build from the lockfile that equals the
# committed one (a source change without `make dashboard` fails here).
dashboard-check: dashboard
	cd dashboard && npm run lint && npm run typecheck && npm test
	git diff --exit-code --stat -- datamachine_jobs/static/dashboard
	test -z "$$(git status --porcelain -- datamachine_jobs/static/dashboard)"

# The OpenAPI document as served, linted by Redocly's CLI (a dev dependency of dashboard/, from
# its lockfile) with redocly.yaml's strict rules: any warning fails.
openapi-lint: install dashboard/node_modules
	mkdir -p build
	$(BIN)/python -c 'import json; from datamachine_jobs import openapi; print(json.dumps(openapi.build()))' > build/openapi.json
	cd dashboard && npx redocly lint --config ../redocly.yaml ../build/openapi.json

# The OpenAPI document's examples, recorded again from a run on a fresh database
# (tests/test_openapi_examples.py fails when they differ from what the code answers).
openapi-examples: install
	DATAMACHINE_WRITE_EXAMPLES=1 $(BIN)/python -m pytest -q tests/test_openapi_examples.py

dashboard/node_modules: dashboard/package-lock.json
	cd dashboard && npm ci
	touch $@

lint: install
	$(BIN)/ruff check datamachine_jobs clients migrations tests bench app.py wsgi.py gunicorn.conf.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache bench/data
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
