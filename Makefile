# Regulars — every target bootstraps .venv from requirements.lock first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_PATHS := $(wildcard src tests bench scripts)
SHELL_SCRIPTS := .ci/run scripts/ensure-system-packages

# Extra pytest arguments for the test targets: make test PYTEST_ARGS="-k visit -x"
PYTEST_ARGS ?=
# The server `make test-postgres` uses; pytest-django creates and drops test_<name> on it.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/regulars

.PHONY: install demo test test-sqlite test-postgres test-browser system-packages \
	bench bench-quick lint fmt messages clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The .mo catalogues are built, never committed; compiling them again is quick, so every
# target that runs the app does it (a pulled .po change is never served stale).
install: $(STAMP)
	@$(BIN)/python -m regulars.cli compilemessages

demo: install
	@bash scripts/ensure-system-packages pango
	$(BIN)/python -m regulars.cli demo

# pytest exits 5 when it collects no test. The suite always has tests in both runs, so
# that is a failure, unless PYTEST_ARGS narrowed one of the runs down to nothing.
# Both runs always happen; the recipe fails at the end if either failed.
define pytest_run
echo "== pytest -m $(1) $(PYTEST_ARGS)"; \
$(BIN)/python -m pytest -q -m $(1) $(PYTEST_ARGS); r=$$?; \
if [ $$r -eq 5 ] && [ "$(if $(strip $(PYTEST_ARGS)),narrowed)" = narrowed ]; then \
	echo "(PYTEST_ARGS selected no test here)"; r=0; fi; \
[ $$r -eq 0 ] || rc=$$r
endef

# Chromium (browser tests), gettext (translation tests) and pango (WeasyPrint's printed
# cards) come from Debian, not the lock file: installed with apt-get when missing and we are root, otherwise a clear failure.
system-packages:
	@bash scripts/ensure-system-packages chromium gettext pango

# The whole suite on SQLite (and on PostgreSQL when REGULARS_DATABASE_URL points there),
# then the browser tests in a process of their own (they need a transactional database).
test: install system-packages
	@rc=0; $(call pytest_run,"not browser"); $(call pytest_run,browser); exit $$rc

test-sqlite:
	env REGULARS_DATABASE_URL= $(MAKE) --no-print-directory test

test-postgres: install
	$(BIN)/python scripts/pg_prepare.py "$(POSTGRES_URL)"
	env REGULARS_DATABASE_URL="$(POSTGRES_URL)" PYTEST_ADDOPTS="--create-db $$PYTEST_ADDOPTS" \
		$(MAKE) --no-print-directory test

test-browser: install
	@bash scripts/ensure-system-packages chromium pango
	@rc=0; $(call pytest_run,browser); exit $$rc

# Every module in bench/ at full size; bench-quick runs them in seconds (CI, so none rots).
bench: install
	$(BIN)/python scripts/run_benches.py

bench-quick: install
	$(BIN)/python scripts/run_benches.py --quick

# Every checker runs (so one pass shows every problem); the recipe fails if any did.
lint: $(STAMP)
	@rc=0; \
	for check in "$(BIN)/ruff check $(LINT_PATHS)" "$(BIN)/ruff format --check $(LINT_PATHS)" \
			"$(BIN)/python -m mypy" "bash -n $(SHELL_SCRIPTS)"; do \
		echo "== $$check"; $$check || rc=1; \
	done; exit $$rc

fmt: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

# Refresh the .po catalogues from the source (translators then fill them in).
messages: $(STAMP)
	$(BIN)/python -m regulars.cli makemessages

clean:
	rm -rf $(VENV) var/test-* test-artifacts
