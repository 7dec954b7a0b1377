# gongdan — `make run` sets everything up and serves; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GONGDAN_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: run setup venv static messages migrate demo test test-postgres lint typecheck check-migrations browser-deps lock bench clean

run: setup
	@$(BIN)/gongdan demo --if-empty
	@$(BIN)/gongdan serve --host $(HOST) --port $(PORT)

setup: venv static messages migrate

# The venv is rebuilt only when the lock file changes, so a second `make run` starts in seconds.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.lock pyproject.toml
	@scripts/check-python.sh $(PYTHON)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet -r requirements.lock
	@$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

static: src/gongdan/static/vendor/.copied
src/gongdan/static/vendor/.copied: package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 18+ (apt-get install -y nodejs npm)"; exit 1; }
	@npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p src/gongdan/static/vendor
	@cp node_modules/htmx.org/dist/htmx.min.js src/gongdan/static/vendor/
	@cp node_modules/echarts/dist/echarts.min.js src/gongdan/static/vendor/
	@touch $@

messages: venv
	@scripts/compile-messages.sh $(BIN)

migrate: venv
	@$(BIN)/gongdan migrate --noinput -v 0

demo: setup
	@$(BIN)/gongdan demo

lint: venv
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: venv
	$(BIN)/mypy

check-migrations: venv
	GONGDAN_DATA_DIR=$$(mktemp -d) $(BIN)/gongdan makemigrations --check --dry-run

test: venv static messages lint typecheck check-migrations
	GONGDAN_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres: venv static messages
	GONGDAN_DATA_DIR=$(CURDIR)/var/test-postgres \
	GONGDAN_DATABASE_URL=$${GONGDAN_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gongdan} \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (needs root, as on CI).
browser-deps:
	@scripts/browser-deps.sh

lock:
	@rm -rf .lockenv && $(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet -e '.[dev]'
	@{ echo '# Locked dependencies (runtime + development). Regenerate with: make lock'; \
	   .lockenv/bin/pip freeze --exclude-editable; } > requirements.lock
	@rm -rf .lockenv

# Benchmarks beside django-helpdesk and a bare-INSERT limit; one table at the end.
# BENCH_ARGS: --db sqlite|postgres|both, --million (adds 1 M orders, slow), --quick.
bench: venv static messages
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules src/gongdan/static/vendor
