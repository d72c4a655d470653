"""A real ``skillweave serve`` process and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium``
(``make test-browser`` installs it with apt). Screenshots go to
``test-artifacts/screenshots/`` for CI to keep.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support.processes import free_port, wait_until_up

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("SKILLWEAVE_CHROMIUM", "/usr/bin/chromium"))
SHOTS = REPO / "test-artifacts" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OPERATOR_TOKEN = "dana-browser-operator-token-01"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a ``skillweave serve`` with one operator token, stopped afterwards."""
    home = tmp_path_factory.mktemp("serve")
    tokens = home / "tokens.yaml"
    tokens.write_text(
        yaml.safe_dump([{"token": OPERATOR_TOKEN, "principal": "dana", "role": "operator"}]),
        encoding="utf-8",
    )
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("skillweave")), "serve", "--port", str(port),
        "--db", f"sqlite:///{home / 'runs.sqlite'}", "--tokens", str(tokens),
        "--skills-dir", str(REPO / "tests" / "http" / "skills"),
        "--model", f"scripted:{REPO / 'examples/incidents/checkout-deploy-spike/script.yaml'}",
        "--allow-model", f"scripted:{REPO / 'tests/http/skills/hostile-note/script.yaml'}",
    ]  # fmt: skip
    env = {**os.environ, "SKILLWEAVE_HOME": str(home)}
    log = (home / "serve.log").open("w")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/login", process, seconds=10, log=home / "serve.log")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        assert OPERATOR_TOKEN not in (home / "serve.log").read_text(), "a token reached the log"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test-browser` (installs chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh temporary --user-data-dir of its own.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots() -> Path:
    """Where screenshots go (kept by CI)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
