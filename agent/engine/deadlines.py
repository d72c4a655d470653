"""Keep a paused run's clocks: when its next deadline is, and applying what came due.

A question's deadline and a reminder's time live in the run (the question
record, the timer log); nothing waits in memory, so whoever touches the run
keeps the clock: ``skillweave serve``'s background task, a CLI command, a
Temporal timer. Applying takes the per-thread lock and re-reads the checkpoint
under it, so it happens once: an answer that got there first leaves nothing
due, and a driver that holds the lock makes this call a no-op (retried later).
The instant reaches the graph as the resume value of every waiting question's
interrupt (``agent.graph.timers``), so a re-run after a kill computes the same thing.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langgraph.types import Command, Interrupt

from agent.engine.api import (
    DEFAULT_RECURSION_LIMIT,
    EventSink,
    RunResult,
    _asked,
    _drive,
    _last,
    _prepare,
    _Run,
    _snapshot,
    list_runs,
)
from agent.engine.recipe import Recipe, recipe_policy, resolve_recipe
from agent.engine.store import RunStore, ThreadInfo, open_store
from agent.errors import SkillweaveError, ThreadBusyError
from agent.graph._context import SYSTEM_CLOCK, Clock, FixedClock, iso
from agent.graph.timers import CLOCK_KEY, due_times
from agent.skill.policy import Policy, load_policy

__all__ = ["apply_deadlines", "keep_clocks", "next_deadline"]

log = logging.getLogger(__name__)
_MIN_WAIT = 1.0
"""Seconds between passes at least, so a run whose due deadline cannot apply yet never spins."""


def _policy(thread_id: str, info: ThreadInfo) -> Policy | None:
    recipe = Recipe.model_validate(info.recipe)
    policy = recipe_policy(recipe)
    if policy is not None:
        return policy
    path = resolve_recipe(thread_id, recipe).skill.path
    return load_policy(Path(path)) if path else None


async def _due(
    run_store: RunStore, thread_id: str, info: ThreadInfo
) -> tuple[list[datetime], list[Interrupt]]:
    """When the paused run's deadlines and reminders are due, and its waiting questions."""
    values, interrupts = await _snapshot(run_store, thread_id, info)
    asked = _asked(interrupts)
    if not asked:
        return [], []
    due = due_times(_policy(thread_id, info), values, [q for _, q in asked])
    return due, [i for i, _ in asked]


async def next_deadline(
    thread_id: str, *, db: str | None = None, data_dir: Path | None = None
) -> datetime | None:
    """The earliest pending deadline or reminder of a paused run (None if none)."""
    async with open_store(db, data_dir=data_dir) as run_store:
        info = await run_store.require_run(thread_id)
        if info.status != "paused":
            return None
        due, _ = await _due(run_store, thread_id, info)
        return due[0] if due else None


async def apply_deadlines(
    thread_id: str,
    *,
    now: datetime | None = None,
    db: str | None = None,
    data_dir: Path | None = None,
    on_event: EventSink | None = None,
) -> RunResult | None:
    """Apply every deadline due at ``now`` (fallbacks + audit), advance the run, return its result.

    ``on_event`` sees the run's events as they happen (the deadlines applied first).

    None if nothing was due, the run is not paused, or another caller is driving it
    right now (its answer wins; a deadline still due is applied on the next call).
    ``now`` defaults to the system clock; a given ``now`` is also the clock the run
    advances with, so deadlines of questions asked next count from it (naive means UTC).
    """
    at = SYSTEM_CLOCK.now() if now is None else now
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    async with AsyncExitStack() as stack:
        run_store = await stack.enter_async_context(open_store(db, data_dir=data_dir))
        if (await run_store.require_run(thread_id)).status != "paused":
            return None
        try:
            await stack.enter_async_context(run_store.lock(thread_id))
        except ThreadBusyError:
            return None
        info = await run_store.require_run(thread_id)  # what the last holder left
        due, waiting = (
            await _due(run_store, thread_id, info) if info.status == "paused" else ([], [])
        )
        if not due or due[0] > at:
            return None
        clock = FixedClock(at) if now is not None else SYSTEM_CLOCK
        run = await _runnable(run_store, thread_id, info, clock, data_dir)
        tick = {CLOCK_KEY: iso(at)}
        payload: Command[Any] = Command(resume={i.id: tick for i in waiting})
        return await _last(_drive(run, payload), on_event)


async def _runnable(
    run_store: RunStore, thread_id: str, info: ThreadInfo, clock: Clock, data_dir: Path | None
) -> _Run:
    """The run bound to its recipe's model and tools, on ``clock``."""
    recipe = Recipe.model_validate(info.recipe)
    return await _prepare(
        run_store,
        thread_id,
        resolve_recipe(thread_id, recipe),
        recipe,
        model=None,
        tools=None,
        data_dir=data_dir,
        recursion_limit=DEFAULT_RECURSION_LIMIT,
        clock=clock,
    )


async def keep_clocks(
    *,
    db: str | None = None,
    data_dir: Path | None = None,
    poll_seconds: float = 30.0,
    on_event: EventSink | None = None,
) -> None:
    """Apply the due deadlines of every paused run, until cancelled (``serve``'s clock keeper).

    It sleeps until the earliest pending deadline, or ``poll_seconds`` at most so
    that runs paused since the last pass (by anyone) are seen. ``on_event`` sees the
    events of the runs it advances (a deadline applied, then what the run did next).
    """
    while True:
        try:
            earliest = await _pass(db, data_dir, on_event)
        except Exception:  # a database hiccup must not stop the clocks for good
            log.exception("keeping the clocks of paused runs failed; trying again")
            earliest = None
        wait = poll_seconds
        if earliest is not None:
            wait = min(wait, (earliest - SYSTEM_CLOCK.now()).total_seconds())
        await asyncio.sleep(max(wait, _MIN_WAIT))


async def _pass(
    db: str | None, data_dir: Path | None, on_event: EventSink | None
) -> datetime | None:
    """Apply what is due now in each paused run; the earliest time still pending."""
    pending: list[datetime] = []
    for run in await list_runs(db=db, data_dir=data_dir, status="paused", limit=100_000):
        try:
            due = await next_deadline(run.thread_id, db=db, data_dir=data_dir)
            if due is not None and due <= SYSTEM_CLOCK.now():
                await apply_deadlines(run.thread_id, db=db, data_dir=data_dir, on_event=on_event)
                due = await next_deadline(run.thread_id, db=db, data_dir=data_dir)
        except SkillweaveError as exc:
            log.warning("deadlines of run %s not applied: %s", run.thread_id, exc)
            continue
        if due is not None:
            pending.append(due)
    return min(pending, default=None)
