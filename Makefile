# Two commands do all set-up from a fresh clone:
#   make run   - venv, install, migrate, load forms, demo users, serve on 127.0.0.1 (SQLite)
#   make test  - venv with dev extras, the whole suite on SQLite, the database tests again on PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
# test processes (pytest-xdist); each has its own databases and, on PostgreSQL, its own server
TEST_WORKERS ?= 2

.PHONY: run test test-sqlite test-postgres install install-dev serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,postgres,serve]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	ECRF_DEMO=1 $(BIN)/ecrf db upgrade
	ECRF_DEMO=1 $(BIN)/ecrf forms load
	ECRF_DEMO=1 $(BIN)/ecrf demo
	@echo "API on http://$(HOST):$(PORT)/api/v1 - docs at http://$(HOST):$(PORT)/api/v1/docs"
	ECRF_DEMO=1 $(BIN)/ecrf run --host $(HOST) --port $(PORT)

test: install-dev
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite: install-dev
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: install-dev
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --db=postgresql tests/api tests/db $(PYTEST_ARGS)

# Production-style serving: gunicorn gthread workers on PostgreSQL (set ECRF_DATABASE_URL, ECRF_SECRET_KEY).
serve: $(VENV)/.installed-dev
	$(BIN)/ecrf db upgrade
	$(BIN)/gunicorn --worker-class gthread --workers $${WORKERS:-2} --threads $${THREADS:-8} \
	  --bind $${BIND:-127.0.0.1:8000} --access-logfile - wsgi:app

# Benchmarks against a framework floor on SQLite and PostgreSQL (about 10 minutes; QUICK=1 about 3).
# Prints a table of figures, floors and goals; raw results in bench/results/. See docs/performance.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) instance/ecrf.db instance/ecrf.db-wal instance/ecrf.db-shm instance/ecrf.db-writers
