"""Typed events of a run as it goes, for every front door (terminal, MCP progress, web inbox).

They come from LangGraph's own stream (``stream_mode=["updates", "custom"]``):
the step nodes write ``step_start`` and the journaled tools ``tool_call`` to the
custom stream as they happen; every node's update carries the audit events it
added, which become step, verdict, question, answer and decision events. The
last event of a drive is always ``status``, carrying the :class:`RunResult`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field

EventKind = Literal[
    "run_started",
    "plan",
    "step_started",
    "step_finished",
    "tool_called",
    "question",
    "answer",
    "verdict",
    "decision",
    "audit",
    "deadline",
    "reminder",
    "status",
]

FROM_AUDIT: dict[str, EventKind] = {
    "plan": "plan",
    "audit_result": "audit",
    "step_end": "step_finished",
    "verdict": "verdict",
    "question": "question",
    "answer": "answer",
    "decision": "decision",
    "deadline": "deadline",
    "reminder": "reminder",
}
"""Audit-log kinds that are events, and the event each becomes (stream and replay alike)."""


class RunEvent(BaseModel):
    """One thing that happened in a run; ``data`` is the audit event's data or the result."""

    thread_id: str
    kind: EventKind
    at: str = ""
    skill: str = ""
    step: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


def from_custom(thread_id: str, chunk: Any) -> Iterator[RunEvent]:
    """Events the nodes and tools wrote to the custom stream."""
    if not isinstance(chunk, dict):
        return
    if chunk.get("event") == "step_start":
        yield RunEvent(
            thread_id=thread_id,
            kind="step_started",
            skill=str(chunk.get("skill", "")),
            step=chunk.get("step"),
            data=dict(chunk),
        )
    elif chunk.get("event") == "tool_call":
        yield RunEvent(
            thread_id=thread_id,
            kind="tool_called",
            step=chunk.get("step"),
            data={k: v for k, v in chunk.items() if k != "event"},
        )


def from_update(thread_id: str, chunk: Any) -> Iterator[RunEvent]:
    """Events from one ``updates`` chunk: the audit events each node added."""
    if not isinstance(chunk, dict):
        return
    for node, update in chunk.items():
        if node == "__interrupt__" or not isinstance(update, dict):
            continue
        for event in update.get("audit_log", []) or []:
            kind = FROM_AUDIT.get(str(event.get("kind")))
            if kind is None:
                continue
            data = dict(event.get("data", {}))
            yield RunEvent(
                thread_id=thread_id,
                kind=kind,
                at=str(event.get("at", "")),
                step=data.get("step"),
                data=data,
            )
