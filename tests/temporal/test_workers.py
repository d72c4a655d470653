"""Two worker processes, 20 runs, one worker killed with SIGKILL mid-advance.

All runs complete on the worker left; each has exactly the model calls, status
updates and backlog items of a run nobody killed (counted from the engine's
journal and the data directory the workers share). The wall time and the time
from the kill to the last retried advance's end are written to
``test-artifacts/temporal-figures.json`` for the README.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client
from temporalio.service import RPCError

from agent.engine import api
from agent.engine.api import RunResult
from agent.engine.store import open_store
from agent.temporal.client import answer_run, connect, run_handle, start_run

from .conftest import WorkerFactory
from .runs import EXAMPLE, REPO, example_answers, request

pytestmark = pytest.mark.temporal
RUNS = 20
FIGURES = REPO / "test-artifacts" / "temporal-figures.json"


async def _drive(client: Client, thread_id: str, task_queue: str) -> RunResult:
    """What a front door does: start the run, then answer from the example until it ends."""
    result = await start_run(client, thread_id, request(), task_queue)
    while result.status == "paused":
        result = await answer_run(client, thread_id, example_answers(result.questions))
    return result


async def _in_flight_on(client: Client, threads: list[str], pid: int) -> int:
    """How many advances have started on the worker with process id ``pid`` and not ended."""
    count = 0
    for thread_id in threads:
        try:
            description = await run_handle(client, thread_id).describe()
        except RPCError:  # not started yet
            continue
        for activity in description.raw_description.pending_activities:
            started = activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            count += started and activity.last_worker_identity.startswith(f"{pid}@")
    return count


async def _retried_ends(client: Client, thread_id: str) -> list[float]:
    """When each advance that needed more than one attempt ended (epoch seconds)."""
    retried: set[int] = set()
    ends: list[float] = []
    async for event in run_handle(client, thread_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            if event.activity_task_started_event_attributes.attempt > 1:
                retried.add(event.event_id)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            attributes = event.activity_task_completed_event_attributes
            if attributes.started_event_id in retried:
                ends.append(event.event_time.ToDatetime().timestamp())
    return ends


async def _calls(db: str, thread_id: str, home: Path | None = None) -> Counter[str]:
    """Answered model calls by purpose, from the engine's journal."""
    async with open_store(db, data_dir=home) as store:
        entries = await store.journal_entries(thread_id)
    return Counter(e["purpose"] for e in entries if e["kind"] == "call")


def _effects(home: Path, thread_id: str) -> tuple[list[str], list[str]]:
    """The run's status updates and backlog items, as the tools recorded them."""
    updates_file = home / "status" / f"{thread_id}.jsonl"
    updates = [json.loads(x)["text"] for x in updates_file.read_text().splitlines()]
    backlog = [
        item["title"]
        for x in (home / "backlog.jsonl").read_text().splitlines()
        if (item := json.loads(x))["thread_id"] == thread_id
    ]
    return updates, backlog


async def _clean_run(db: str, home: Path) -> tuple[Counter[str], tuple[list[str], list[str]]]:
    """One run in this process, nobody killed: the calls and effects every run must match."""
    thread_id = uuid.uuid4().hex
    start = request()
    result = await api.start(
        start.skill,
        start.inputs,
        thread_id,
        model=start.model,
        db=db,
        data_dir=home,
        evidence=EXAMPLE,
        skill_paths=[REPO / "skills"],
    )
    while result.status == "paused":
        answers = example_answers(result.questions)
        result = await api.resume(thread_id, answers, db=db, data_dir=home)
    assert result.status == "completed"
    return await _calls(db, thread_id, home), _effects(home, thread_id)


async def test_twenty_runs_on_two_workers_complete_once_each_when_one_is_killed(
    spawn_worker: WorkerFactory,
    temporal_address: str,
    task_queue: str,
    postgres: str,
    home: Path,
    tmp_path: Path,
) -> None:
    expected_calls, expected_effects = await _clean_run(postgres, tmp_path / "clean")
    doomed, survivor = spawn_worker(), spawn_worker()
    client = await connect(temporal_address)
    threads = [uuid.uuid4().hex for _ in range(RUNS)]
    began = time.monotonic()
    drives = [asyncio.create_task(_drive(client, t, task_queue)) for t in threads]
    for _ in range(600):  # up to a minute for the first advances to reach the worker
        if await _in_flight_on(client, threads, doomed.pid) >= 3:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("no advances started on the worker to kill")
    os.kill(doomed.pid, signal.SIGKILL)
    killed_at = time.time()
    results = await asyncio.wait_for(asyncio.gather(*drives), timeout=300)
    wall = time.monotonic() - began

    assert doomed.wait() == -signal.SIGKILL
    assert survivor.poll() is None
    assert [r.status for r in results] == ["completed"] * RUNS
    for thread_id in threads:
        assert await _calls(postgres, thread_id) == expected_calls, thread_id
        assert _effects(home, thread_id) == expected_effects, thread_id
    retried = [end for t in threads for end in await _retried_ends(client, t)]
    assert retried, "no advance was in flight on the killed worker"
    FIGURES.parent.mkdir(exist_ok=True)
    figures: dict[str, Any] = {
        "runs": RUNS,
        "workers": 2,
        "wall_seconds": round(wall, 1),
        "advances_retried_after_kill": len(retried),
        "kill_to_last_retried_advance_end_seconds": round(max(retried) - killed_at, 1),
        "heartbeat_timeout_seconds": request().heartbeat_seconds,
    }
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
