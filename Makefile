# Newsgate: `make run` serves the API, `make test` checks everything. Both set up .venv first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install browser run migrate seed test lint format schema bench bench-tools

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Newsgate with its dev tools

browser: ## install Debian's chromium for the GraphiQL browser test (as root)
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

run: install ## migrate, seed demo data when empty, serve GraphiQL at 127.0.0.1:8000/graphql
	@$(PY) -m app check
	@$(VENV)/bin/alembic upgrade head
	@$(PY) scripts/seed.py --if-empty
	@$(PY) -m app serve

migrate: install ## bring the database schema up to date
	$(VENV)/bin/alembic upgrade head

seed: install ## load demo data (pass ARGS="--articles 1000000 --reset" for scale data)
	$(PY) scripts/seed.py $(ARGS)

test: install ## format check, lint, type check, then the test suite on SQLite and PostgreSQL
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/pytest -n auto --maxprocesses 4 --cov --cov-report=term:skip-covered

lint: install ## format the code and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

schema: install ## regenerate schema.graphql from the code
	$(PY) scripts/export_schema.py

bench-tools: ## install wrk, the benchmark's load generator (Debian's package)
	@command -v wrk >/dev/null || { apt-get install -y wrk || sudo apt-get install -y wrk; }

bench: install bench-tools ## Newsgate against the hand-written floor (pass ARGS="--help" for options)
	$(PY) scripts/bench.py $(ARGS)
