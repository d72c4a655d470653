"""The activities: each advances a run through the engine, safe to retry on any worker.

A worker killed mid-advance leaves the run at its last checkpoint; Temporal
gives the activity to another worker after the heartbeat timeout, and the retry
reads where the run stands before acting: an advance that already happened is
not redone, one that stopped part-way continues from its checkpoint, and the
engine's journal replays every model and tool call the dead worker made.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from agent.engine import api
from agent.engine.api import RunResult
from agent.engine.deadlines import apply_deadlines, next_deadline
from agent.errors import ThreadBusyError, UnknownThreadError, UserError
from agent.skill.policy import Policy
from agent.temporal.messages import Advance, StartRequest, asked

T = TypeVar("T")
SETTLED = ("paused", "completed", "blocked")


@asynccontextmanager
async def _heartbeating() -> AsyncIterator[None]:
    """Heartbeat three times per heartbeat timeout while the body runs (a dead worker stops)."""
    timeout = activity.info().heartbeat_timeout
    if not timeout:
        yield
        return

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(timeout.total_seconds() / 3)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()


async def _engine_call(call: Callable[[], Awaitable[T]]) -> T:
    """Run an engine call with heartbeats; a user mistake fails the activity for good.

    A busy thread (another attempt, or a dead worker's lock not yet released) is
    retried; every other :class:`UserError` would fail again the same way.
    """
    try:
        async with _heartbeating():
            return await call()
    except ThreadBusyError as exc:
        raise ApplicationError(str(exc), type=type(exc).__name__) from None
    except UserError as exc:
        raise ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True) from None


def _thread_id() -> str:
    """The run's thread id: the id of the workflow that scheduled this activity."""
    workflow_id = activity.info().workflow_id
    if workflow_id is None:
        raise ApplicationError(
            "skillweave activities run only in a run's workflow", non_retryable=True
        )
    return workflow_id


class RunActivities:
    """The activities of one worker, bound to its run database and data directory."""

    def __init__(self, db: str | None, data_dir: Path | None = None) -> None:
        """Activities over the run database ``db`` (the engine's default when None)."""
        self.db = db
        self.data_dir = data_dir

    async def _status(self, thread_id: str) -> RunResult | None:
        try:
            return await api.get_status(thread_id, db=self.db, data_dir=self.data_dir)
        except UnknownThreadError:
            return None

    async def _carry_on(self, status: RunResult) -> RunResult:
        """A run found stopped part-way continues from its checkpoint; a busy one is retried."""
        if status.status == "running":
            raise ThreadBusyError(f"run '{status.thread_id}' is being advanced elsewhere")
        return await api.resume(status.thread_id, db=self.db, data_dir=self.data_dir)

    @activity.defn(name="skillweave.start")
    async def start(self, request: StartRequest) -> RunResult:
        """Start the run (thread id = workflow id), or on a retry take it from where it is."""
        thread_id = _thread_id()

        async def go() -> RunResult:
            status = await self._status(thread_id)
            if status is None:
                return await api.start(
                    request.skill,
                    request.inputs,
                    thread_id,
                    model=request.model,
                    db=self.db,
                    data_dir=self.data_dir,
                    evidence=Path(request.evidence) if request.evidence else None,
                    tools_dirs=[Path(d) for d in request.tools_dirs],
                    skill_paths=[Path(d) for d in request.skill_paths],
                    principal=request.principal,
                    policy=Policy.model_validate(request.policy) if request.policy else None,
                )
            return status if status.status in SETTLED else await self._carry_on(status)

        return await _engine_call(go)

    @activity.defn(name="skillweave.advance")
    async def advance(self, step: Advance) -> RunResult:
        """Resume with answers, unless a previous attempt already got past those questions."""
        thread_id = _thread_id()

        async def go() -> RunResult:
            status = await api.get_status(thread_id, db=self.db, data_dir=self.data_dir)
            if status.status == "paused" and asked(status.questions) == step.asked:
                return await api.resume(thread_id, step.answers, db=self.db, data_dir=self.data_dir)
            return status if status.status in SETTLED else await self._carry_on(status)

        return await _engine_call(go)

    @activity.defn(name="skillweave.next_deadline")
    async def next_deadline(self) -> datetime | None:
        """When the paused run's next deadline or reminder is due (None: no clock runs)."""
        thread_id = _thread_id()
        return await _engine_call(
            lambda: next_deadline(thread_id, db=self.db, data_dir=self.data_dir)
        )

    @activity.defn(name="skillweave.deadlines")
    async def deadlines(self) -> RunResult:
        """Apply what came due (fallbacks and reminders, audited); where the run then stands.

        Nothing due (another driver got there first, or this clock is behind the
        server's) leaves the run as it is: the workflow asks for the next deadline again.
        """
        thread_id = _thread_id()

        async def go() -> RunResult:
            applied = await apply_deadlines(thread_id, db=self.db, data_dir=self.data_dir)
            return applied or await api.get_status(thread_id, db=self.db, data_dir=self.data_dir)

        return await _engine_call(go)

    def all(self) -> list[Callable[..., Awaitable[object]]]:
        """Every activity, for the worker to register."""
        return [self.start, self.advance, self.next_deadline, self.deadlines]
