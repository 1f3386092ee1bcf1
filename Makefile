# Two commands on a fresh machine:
#   make run    a local site on http://127.0.0.1:8000 (SQLite, in-memory channel layer)
#   make test   the whole test suite
# Installs are redone only when a requirements file changes (stamp files in .venv).

VENV := .venv
BIN := $(VENV)/bin
# The first interpreter found that is new enough; override with `make PYTHON=/path/to/python3.12`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { command -v $$p; break; }; done)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format bench bench-deps

run: export DJANGO_DEBUG = true
run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_initial_data
	$(BIN)/python manage.py ensure_demo_admin
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/daphne -b $(HOST) -p $(PORT) mysite.asgi:application

# pytest's own exit status (1 failures, 5 no tests collected, ...) is printed;
# make itself then exits 2, as it does for any failed recipe.
test: $(VENV)/.installed-dev
	@$(BIN)/python -m pytest -rfEs $(PYTEST_ARGS) || { code=$$?; echo "pytest exited with status $$code" >&2; exit $$code; }

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (none found on PATH)." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "$(PYTHON) is older than Python 3.11." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# requirements-dev.txt includes requirements.txt, so it satisfies `run` too.
$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

# The benchmark suite (bench/run.py): its own PostgreSQL databases, daphne, wrk;
# results go to docs/benchmarks.md. Not part of the tests.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# What the benchmarks need beside PostgreSQL: wrk, redis-server and nginx.
bench-deps:
	@for t in wrk redis-server nginx; do command -v $$t >/dev/null || m="$$m $$t"; done; \
	[ -z "$$m" ] || apt-get install -y wrk redis-server nginx-light
