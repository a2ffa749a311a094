# Two commands: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run urls test test-sandbox test-portal lint install browsers bench benchmarks clean

# pip's output goes to .venv/install.log, shown only when the install fails.
$(STAMP): pyproject.toml
	@echo "==> Installing into $(VENV) (log: $(VENV)/install.log)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@{ $(BIN)/python -m pip install -q --upgrade pip \
	  && $(BIN)/python -m pip install -q -e ".[dev]"; } > $(VENV)/install.log 2>&1 \
	  || { cat $(VENV)/install.log; exit 1; }
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Start the sandbox, the portal and their workers on embedded defaults, under supervisord
## (Procfile, Procfile.sandbox; full logs in var/log/; Ctrl-C stops all).
run: install
	@$(BIN)/python -m bin.run

## Print the running system's addresses and logins again.
urls:
	@$(BIN)/python -m bin.run urls

## Lint, then both suites. Each suite runs in its own pytest with its own settings module.
test: install lint test-sandbox test-portal

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-sandbox: install
	$(BIN)/pytest tests/sandbox --ds=sandbox.settings

# The portal's settings default to production (DEBUG off); its tests run on development
# defaults, and the test of `check --deploy` sets production settings itself.
test-portal: install
	@if [ -n "$$(find tests/portal -name 'test_*.py' | head -1)" ]; then \
		DEBUG=1 $(BIN)/pytest tests/portal --ds=portal.settings; \
	else echo "tests/portal: no tests yet"; fi

## Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browsers:
	@command -v chromium >/dev/null || { echo "==> Installing Debian's chromium (log: /tmp/chromium-install.log)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		> /tmp/chromium-install.log 2>&1 || { cat /tmp/chromium-install.log; exit 1; }; }

## Every benchmark in benchmarks/, then one table of their figures: docs/benchmarks.md (each
## script's output in var/bench/). `make bench LONG=1` gives the soak its full ten minutes;
## `make bench ONLY=staff_pages,soak` runs those and keeps the others' last figures.
bench: install
	$(BIN)/python -m benchmarks.report $(if $(LONG),--long) $(if $(ONLY),--only $(ONLY))

benchmarks: bench  # its former name

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
