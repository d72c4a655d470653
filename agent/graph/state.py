"""The state a skill run checkpoints after every node.

Values are plain JSON-able data (dicts, lists, strings, numbers) on purpose:
checkpoints are msgpack, which turns tuples into lists and pydantic models
into dicts on the way back, so anything richer would come back different from
what was written. Nodes always return whole new values for the keys they
change (no reducers): the graph runs one node at a time, and whole values keep
a checkpoint readable on its own.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

RunStatus = Literal["running", "completed", "blocked", "failed"]


class RunState(TypedDict, total=False):
    """Everything a run knows; the transcript and the run API read it back."""

    inputs: dict[str, Any]
    started_at: str
    status: RunStatus
    model: str
    plan: list[dict[str, Any]]
    """Ordered steps ``{id, goal, mode, reason}`` after the ordering rules."""
    cursor: int
    """Index in ``plan`` of the step being worked on."""
    return_to: int | None
    """Where to continue after a step that was sent back for revision."""
    draft: dict[str, Any] | None
    """The latest step result waiting for the guard: ``{step, result, ...}``."""
    results: dict[str, dict[str, Any]]
    skipped: dict[str, str]
    facts: dict[str, Any]
    outputs: dict[str, Any]
    actions: list[dict[str, Any]]
    evidence: list[str]
    pending: list[dict[str, Any]]
    """Questions waiting for a human; the ``ask`` node interrupts with them."""
    questions: list[dict[str, Any]]
    answers: dict[str, dict[str, Any]]
    approvals: dict[str, dict[str, Any]]
    feedback: dict[str, list[str]]
    attempts: dict[str, int]
    audit_revisions: int
    verdicts: list[dict[str, Any]]
    violations: list[str]
    scratchpad: list[dict[str, Any]]
    audit_log: list[dict[str, Any]]
    steps_log: list[dict[str, Any]]
    usage: dict[str, dict[str, int]]
    """Token counts by model call purpose: ``{purpose: {prompt_tokens, ...}}``."""
