# Regulars — every target bootstraps .venv from requirements.lock first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres test-browser bench bench-quick lint fmt messages clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m regulars.cli compilemessages
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/regulars demo

# The whole suite on SQLite (and on PostgreSQL when REGULARS_DATABASE_URL points there).
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser" ; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ] || exit $$rc
	$(BIN)/python -m pytest -q -m browser ; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ] || exit $$rc

bench: $(STAMP)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.demo

bench-quick: $(STAMP)
	$(BIN)/python -m bench.ingest --quick
	$(BIN)/python -m bench.demo --quick

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Refresh the .po catalogues from the source (translators then fill them in).
messages: $(STAMP)
	$(BIN)/python -m regulars.cli makemessages

clean:
	rm -rf $(VENV) var/test-*
