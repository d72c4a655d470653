"""Keep a paused run's clocks: when its next deadline is, and applying what came due.

A question's deadline and a reminder's time live in the run (the question
record, the timer log); nothing waits in memory, so whoever touches the run
keeps the clock: ``skillweave serve``'s background task, a CLI command, a
Temporal timer. Applying takes the per-thread lock and re-reads the checkpoint
under it, so it happens once: an answer that got there first leaves nothing
due, and a driver that holds the lock makes this call a no-op (retried later).
The fallback reaches the graph as a resume value carrying the instant
(``agent.graph.timers``), so a re-run after a kill computes the same thing.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from langgraph.types import Command

from agent.engine.api import (
    DEFAULT_RECURSION_LIMIT,
    RunResult,
    _drive,
    _last,
    _prepare,
    _Run,
    _snapshot,
)
from agent.engine.recipe import Recipe, recipe_policy, resolve_recipe
from agent.engine.store import RunStore, ThreadInfo, open_store
from agent.errors import ThreadBusyError
from agent.graph._context import SYSTEM_CLOCK, Clock, FixedClock, iso
from agent.graph.timers import CLOCK_KEY, due_times
from agent.skill.policy import Policy, load_policy

__all__ = ["apply_deadlines", "next_deadline"]


def _policy(thread_id: str, info: ThreadInfo) -> Policy | None:
    recipe = Recipe.model_validate(info.recipe)
    policy = recipe_policy(recipe)
    if policy is not None:
        return policy
    path = resolve_recipe(thread_id, recipe).skill.path
    return load_policy(Path(path)) if path else None


def _questions(interrupts: list[Any]) -> list[dict[str, Any]]:
    return [
        q for i in interrupts if isinstance(i.value, dict) for q in i.value.get("questions", [])
    ]


async def _due(run_store: RunStore, thread_id: str, info: ThreadInfo) -> list[datetime]:
    values, interrupts = await _snapshot(run_store, thread_id, info)
    if not interrupts:
        return []
    return due_times(_policy(thread_id, info), values, _questions(interrupts))


async def next_deadline(
    thread_id: str, *, db: str | None = None, data_dir: Path | None = None
) -> datetime | None:
    """The earliest pending deadline or reminder of a paused run (None if none)."""
    async with open_store(db, data_dir=data_dir) as run_store:
        info = await run_store.require_run(thread_id)
        if info.status != "paused":
            return None
        due = await _due(run_store, thread_id, info)
        return due[0] if due else None


async def apply_deadlines(
    thread_id: str,
    *,
    now: datetime | None = None,
    db: str | None = None,
    data_dir: Path | None = None,
) -> RunResult | None:
    """Apply every deadline due at ``now`` (fallbacks + audit), advance the run, return its result.

    None if nothing was due, the run is not paused, or another caller is driving it
    right now (its answer wins; a deadline still due is applied on the next call).
    ``now`` defaults to the system clock; a given ``now`` is also the clock the run
    advances with, so deadlines of questions asked next count from it.
    """
    at = now or SYSTEM_CLOCK.now()
    async with AsyncExitStack() as stack:
        run_store = await stack.enter_async_context(open_store(db, data_dir=data_dir))
        if (await run_store.require_run(thread_id)).status != "paused":
            return None
        try:
            await stack.enter_async_context(run_store.lock(thread_id))
        except ThreadBusyError:
            return None
        info = await run_store.require_run(thread_id)  # what the last holder left
        due = await _due(run_store, thread_id, info) if info.status == "paused" else []
        if not due or due[0] > at:
            return None
        clock = FixedClock(at) if now else SYSTEM_CLOCK
        run = await _runnable(run_store, thread_id, info, clock, data_dir)
        snapshot = await run.graph.aget_state(run.config)
        payload: Command[Any] = Command(resume={snapshot.interrupts[0].id: {CLOCK_KEY: iso(at)}})
        return await _last(_drive(run, payload))


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
