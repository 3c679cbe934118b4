# Maraude: the two commands are `make run` and `make test`.
.DEFAULT_GOAL := help
.PHONY: help run test setup envs unit lint lock

help:  ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

envs:
	@scripts/sync_envs.sh

setup: envs  ## Install what is missing, generate the key, migrate the database
	@.venvs/app/bin/python -m bot.cli init-secret
	@.venvs/app/bin/python -m bot.cli db upgrade

run: envs  ## Set up what is missing, train if needed, run the whole stack
	@.venvs/app/bin/python -m bot.cli run

test: envs  ## Install what is missing and run every check (lint, types, Rasa, tests)
	@scripts/ensure_chromium.sh
	@scripts/check.sh

unit: envs  ## Only the fast unit tests
	@.venvs/app/bin/python -m pytest -m "not e2e" -q

lint: envs  ## Fix formatting and lint what can be fixed
	@.venvs/app/bin/ruff format .
	@.venvs/app/bin/ruff check --fix .

lock:  ## Recompile both lock files after changing pyproject.toml or requirements/rasa.in
	uv pip compile --python-version 3.11 pyproject.toml --extra dev -o requirements/app.lock --no-header
	uv pip compile --python-version 3.11 requirements/rasa.in --override requirements/rasa-overrides.txt -o requirements/rasa.lock --no-header
