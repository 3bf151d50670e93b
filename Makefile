# Kapstone. `make run` serves the demo; `make test` runs the whole suite. Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test test-postgres test-browser lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(TEST_STAMP)

run: $(STAMP)
	@$(BIN)/kapstone migrate --noinput --verbosity 0 && echo "Database ready (var/kapstone.sqlite3, migrations applied)."
	$(BIN)/kapstone demo
	$(BIN)/kapstone serve

test: $(TEST_STAMP)
	KAPSTONE_ENV=test $(BIN)/pytest -m "not browser"

test-postgres: $(TEST_STAMP)
	KAPSTONE_ENV=test DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/kapstone} $(BIN)/pytest -m "not browser"

test-browser: $(TEST_STAMP)
	KAPSTONE_ENV=test $(BIN)/pytest -m browser -p no:xdist

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

bench: $(TEST_STAMP)
	KAPSTONE_ENV=test $(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info
