"""Server-sent events of one run, resumable with ``Last-Event-ID``.

Events that come from the audit log (plan, step_finished, verdict, question,
answer, decision, audit) carry the audit event's ``seq`` as their SSE id: the
audit log is durable in the checkpoint, so a browser that reconnects with
``Last-Event-ID: N`` is sent every such event after ``N`` from the log, whichever
process drove the run meanwhile. Live-only events (``step_started``,
``tool_called``) and ``status`` carry no id, so they never move the resume point.
A ``status`` event follows the catch-up and every drive's end; the stream closes
after a final status (completed, blocked, failed).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict
from typing import Any

from agent.engine.events import FROM_AUDIT, RunEvent
from agent.http.runs import TERMINAL, RunHub

DURABLE: dict[str, str] = dict(FROM_AUDIT)
"""Audit-log kinds streamed, and the event name each is sent as (the engine's names)."""
LIVE = ("step_started", "tool_called")


def frame(event: str, data: Any, event_id: int | None = None) -> str:
    """One SSE frame; the JSON has no raw newlines, so one ``data:`` line is enough."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def last_event_id(header: str | None) -> int:
    """The resume point a reconnecting client sent; -1 (everything) when absent or garbled."""
    try:
        return int(header) if header is not None else -1
    except ValueError:
        return -1


async def _durable_since(hub: RunHub, thread_id: str, after: int) -> tuple[int, list[str]]:
    frames = []
    for event in (await hub.state(thread_id)).get("audit_log", []):
        seq = int(event.get("seq", -1))
        name = DURABLE.get(str(event.get("kind")))
        if seq <= after:
            continue
        after = seq
        if name is not None:
            data = dict(event.get("data", {}))
            body = {"seq": seq, "at": event.get("at"), "step": data.get("step"), "data": data}
            frames.append(frame(name, body, seq))
    return after, frames


async def run_stream(
    hub: RunHub, thread_id: str, after: int, disconnected: Callable[[], Awaitable[bool]]
) -> AsyncIterator[str]:
    """The run's event stream from ``after`` on, until a final status or the client leaves."""
    queue = hub.subscribe(thread_id)
    settings = hub.settings
    try:
        yield "retry: 2000\n\n"
        after, frames = await _durable_since(hub, thread_id, after)
        for chunk in frames:
            yield chunk
        status = await hub.status(thread_id)
        yield frame("status", asdict(status))
        if status.status in TERMINAL:
            return
        quiet_since = time.monotonic()
        while not await disconnected():
            live: RunEvent | None = None
            try:
                live = await asyncio.wait_for(queue.get(), timeout=settings.poll_seconds)
            except TimeoutError:
                live = None
            if live is not None and live.kind in LIVE:
                yield frame(live.kind, live.model_dump(mode="json", exclude={"thread_id"}))
            before = after
            after, frames = await _durable_since(hub, thread_id, after)
            for chunk in frames:
                yield chunk
            moved = after != before
            if live is not None and live.kind == "status":
                yield frame("status", live.data)
                if live.data.get("status") in TERMINAL:
                    return
            elif live is None and moved:
                # Another process advanced the run: say where it stands now.
                status = await hub.status(thread_id)
                yield frame("status", asdict(status))
                if status.status in TERMINAL:
                    return
            if live is not None or moved:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > settings.keepalive_seconds:
                quiet_since = time.monotonic()
                yield ": keepalive\n\n"
    finally:
        hub.unsubscribe(thread_id, queue)
