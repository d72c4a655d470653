"""Servers the tests start as real processes: a free port, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(
    url: str,
    process: subprocess.Popen[Any],
    *,
    seconds: float,
    log: Path | None = None,
    answers: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> None:
    """Poll ``url`` until it ``answers``; fail with the server's log if it exits or is late."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if answers(httpx.get(url, timeout=1)):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    said = log.read_text(encoding="utf-8") if log is not None and log.exists() else ""
    state = f"exited with {process.returncode}" if process.poll() is not None else "is late"
    pytest.fail(f"the server at {url} {state}: {said[-2000:]}")
