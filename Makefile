# The README's two commands: `make demo` (main job) and `make test` (the suite).
# Each sets itself up on a fresh machine and is safe to re-run.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-browser lint bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $(STAMP)

# The main job: incident-response on a shipped incident, offline. Replies come from the
# example's script and its question is answered from answers.yaml, so nothing is typed.
# Runs are kept in .skillweave/ (override with SKILLWEAVE_HOME).
EXAMPLE ?= examples/incidents/checkout-deploy-spike
export SKILLWEAVE_HOME ?= $(CURDIR)/.skillweave

demo: $(STAMP)
	$(BIN)/skillweave validate skills
	$(BIN)/skillweave run incident-response --evidence $(EXAMPLE) \
		--model scripted:$(EXAMPLE)/script.yaml --answers-file $(EXAMPLE)/answers.yaml --no-input

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

# The browser tier: Playwright drives Debian's Chromium (installed with apt, never
# downloaded by Playwright) against a real `skillweave serve`. Screenshots land in
# test-artifacts/screenshots/.
CHROMIUM ?= /usr/bin/chromium
BROWSER_STAMP := $(VENV)/.browser-stamp
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

$(BROWSER_STAMP): $(STAMP)
	test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/python -m pip install -q -e '.[test,dev,browser]'
	touch $(BROWSER_STAMP)

test-browser: $(BROWSER_STAMP)
	SKILLWEAVE_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q -m browser tests/http/browser

bench: $(STAMP)
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_graph.py
	$(BIN)/python bench/bench_score.py
