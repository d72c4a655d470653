"""``skillweave worker``: poll a task queue and run skill runs' workflows and activities.

Any number of workers, on any machines sharing the run database (Postgres for
more than one machine), serve the same task queue; Temporal hands each advance to
one of them and retries it on another when a worker dies.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from agent.errors import ConfigError
from agent.temporal.activities import RunActivities
from agent.temporal.workflow import SkillRun

PASSED_THROUGH = ("agent", "pydantic", "pydantic_core", "langgraph", "langchain_core", "yaml")
"""Modules the workflow sandbox shares with the worker instead of re-importing per run."""
STICKY_TIMEOUT = timedelta(seconds=3)
"""How soon a run's workflow tasks move on from a worker that stopped answering."""


async def connect(address: str) -> Client:
    """A client for the Temporal server at ``HOST:PORT`` that speaks pydantic JSON.

    An unreachable server is a one-line configuration error.
    """
    try:
        return await Client.connect(address, data_converter=pydantic_data_converter)
    except RuntimeError as exc:
        raise ConfigError(f"cannot reach the Temporal server at {address}: {exc}") from None


def build_worker(
    client: Client,
    task_queue: str,
    db: str | None,
    *,
    data_dir: Path | None = None,
) -> Worker:
    """A worker for ``task_queue`` whose activities use the run database ``db``."""
    runner = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[SkillRun],
        activities=RunActivities(db, data_dir).all(),
        workflow_runner=runner,
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
    )


async def run_worker(address: str, task_queue: str, db: str | None) -> None:
    """Serve until SIGINT or SIGTERM, then let running activities finish or hand them back."""
    client = await connect(address)
    worker = build_worker(client, task_queue, db)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print(f"skillweave: worker on {address}, task queue {task_queue!r}", flush=True)
        await stop.wait()
