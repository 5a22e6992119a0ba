# agentgov: `make run` starts everything, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run simulate test lint format bench clean help

help:
	@echo "make run    install, migrate, seed the demo fleet, start web + worker + beat"
	@echo "make simulate  beside make run: demo agents send events, heartbeats and risky actions"
	@echo "make test   install (with dev tools) and run the whole suite"
	@echo "make lint   ruff check and format check"
	@echo "make bench  run the benchmarks in tests/perf"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "agentgov needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py ensure_demo_admin
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	@echo "agentgov on http://$${AGENTGOV_BIND:-127.0.0.1:8000}/ (Ctrl-C stops web, worker and beat)"
	@echo "To see it move: in another terminal, make simulate (demo agents through the SDK)"
	DEBUG=$${DEBUG:-1} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

# Demo agents driven through the SDK against the server `make run` started (same database).
simulate: $(VENV)/.installed-run
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py simulate_fleet

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m tests.perf

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
