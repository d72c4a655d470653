"""``skillweave serve --engine temporal://…``: the HTTP API starts and answers runs on workers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.processes import free_port, wait_until_up

from agent.temporal.client import connect, run_handle

from .conftest import SKILLWEAVE, WorkerFactory
from .runs import EXAMPLE, REPO, example_answers

pytestmark = pytest.mark.temporal


@pytest.fixture
def server(
    spawn_worker: WorkerFactory, temporal_address: str, task_queue: str, postgres: str, home: Path
) -> Iterator[str]:
    """A worker, and ``serve`` handing its runs to it; the server's base URL."""
    spawn_worker()
    port = free_port()
    proc = subprocess.Popen(
        [
            str(SKILLWEAVE),
            "serve",
            "--port",
            str(port),
            "--db",
            postgres,
            "--engine",
            f"temporal://{temporal_address}",
            "--task-queue",
            task_queue,
            "--model",
            f"scripted:{EXAMPLE / 'script.yaml'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "SKILLWEAVE_HOME": str(home)},
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/skills", proc, seconds=30)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def _settled(client: httpx.Client, thread_id: str) -> dict[str, Any]:
    """The run once no advance is under way (polled as a web client would)."""
    for _ in range(300):
        run: dict[str, Any] = client.get(f"/api/runs/{thread_id}").json()
        if run["status"] != "running":
            return run
        time.sleep(0.1)
    pytest.fail(f"run {thread_id} never settled")


async def _workflow_result(address: str, thread_id: str) -> str:
    result = await run_handle(await connect(address), thread_id).result()
    return result.status


def test_a_run_started_and_answered_over_http_advances_on_the_worker(
    server: str, temporal_address: str
) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        created = client.post(
            "/api/runs",
            json={
                "skill": "incident-response",
                "inputs": {"incident": "checkout 5xx"},
                "evidence": str(EXAMPLE),
            },
        )
        assert created.status_code == 201, created.text
        thread_id = created.json()["thread_id"]
        run = _settled(client, thread_id)
        while run["status"] == "paused":
            answers = example_answers(run["questions"])
            sent = client.post(f"/api/runs/{thread_id}/answers", json={"answers": answers})
            assert sent.status_code == 200, sent.text
            run = _settled(client, thread_id)
        assert run["status"] == "completed"
        refused = client.post(f"/api/runs/{thread_id}/answers", json={"answers": {"q1": "x"}})
        assert refused.status_code == 409
    assert asyncio.run(_workflow_result(temporal_address, thread_id)) == "completed"
