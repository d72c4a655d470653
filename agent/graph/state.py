"""The state a skill run checkpoints after every node, and the record shapes inside it.

Values are plain JSON-able data on purpose: checkpoints are msgpack, which turns
tuples into lists and pydantic models into dicts on the way back. The record
shapes are TypedDicts shared with the transcript (which validates them with
pydantic), so a verdict or a question is defined once.

Append-only channels (audit log, steps log, verdicts, questions, scratchpad,
violations) and the usage counters have reducers: a node returns only what it
adds, and the audit log's reducer chains each new event to the one before, so
no node copies a whole list and a checkpoint holds each entry once.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from pydantic import ConfigDict, with_config

from agent.audit import chain_events

RunStatus = Literal["running", "completed", "blocked", "failed"]
Outcome = Literal["allow", "revise", "approve", "block"]
Decision = Literal["approve", "edit", "reject"]

_OPEN = ConfigDict(extra="allow")


@with_config(_OPEN)
class PlanItem(TypedDict):
    """One planned step in run order: which micro-skill, toward what, in which mode."""

    id: str
    goal: str
    mode: Literal["eco", "power"]
    reason: NotRequired[str]


@with_config(_OPEN)
class VerdictRecord(TypedDict):
    """A guardrail verdict from a deterministic rule or the judge, citing its line."""

    rule_id: str
    guardrail_id: str
    line: int | None
    outcome: Outcome
    message: str
    tier: Literal["rule", "judge"]
    step: NotRequired[str | None]
    approval: NotRequired[dict[str, Any] | None]


@with_config(_OPEN)
class QuestionRecord(TypedDict):
    """A question put to a human; ``alias`` (``q1``) is the short id people type."""

    id: str
    text: str
    trigger: str | None
    options: list[str]
    kind: Literal["clarify", "approval"]
    step: str | None
    alias: NotRequired[str]
    template: NotRequired[str | None]
    """The question template a clarification was filled from."""
    rule: NotRequired[str]
    """An approval's policy rule (the one that asked)."""
    action: NotRequired[dict[str, Any]]
    """An approval's action as the step proposed it (``id``, ``type``, ``step``, its args)."""
    deadline: NotRequired[str | None]
    """When the policy's fallback applies if nobody answers (ISO, UTC); None: untimed."""
    deadline_rule: NotRequired[str]


@with_config(_OPEN)
class AnswerRecord(TypedDict):
    """A human's answer, who gave it and when (approvals say yes or no)."""

    text: str
    by: str
    at: str
    approved: NotRequired[bool]
    choice: NotRequired[str]
    decision: NotRequired[Decision]
    """An approval's decision in LangChain's HITL terms."""
    message: NotRequired[str]
    """Why an approval was rejected, when the reviewer said."""
    edited_action: NotRequired[dict[str, Any]]
    """``{name, args}``: the action the reviewer approved instead of the proposed one."""


@with_config(_OPEN)
class ActionRecord(TypedDict):
    """An action a step proposed; only a recorded approval lets it leave the run."""

    id: str
    type: str
    step: str
    description: NotRequired[str]
    target: NotRequired[str]


@with_config(_OPEN)
class StepLogEntry(TypedDict):
    """One executed step attempt, with its model exchange and tool calls."""

    id: str
    mode: str | None
    goal: str
    started_at: str
    ended_at: str
    summary: str
    fields: dict[str, Any]
    decisions: list[dict[str, Any]]
    confidence: float
    messages: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]


@with_config(_OPEN)
class TimerRecord(TypedDict):
    """A deadline that expired (and its fallback) or a reminder that came due."""

    kind: Literal["deadline", "reminder"]
    rule_id: str
    message: str
    due: str
    at: str
    """When it was applied: the clock of whoever touched the run."""
    question_id: NotRequired[str]
    fallback: NotRequired[str]
    missed: NotRequired[int]
    """Reminder slots that passed unseen before this one."""


class NoteRecord(TypedDict):
    """A private scratchpad entry."""

    at: str
    step: str
    kind: str
    text: str


UsageRow = dict[str, int]
"""``{prompt_tokens, completion_tokens, calls, ...}`` of one call purpose."""


def merge_records(
    left: dict[str, AnswerRecord], right: dict[str, AnswerRecord]
) -> dict[str, AnswerRecord]:
    """Answers by question id, added to (the reducer of ``answers`` and ``approvals``).

    Several questions are answered in one superstep (one ``ask`` task each), so the
    channels take every task's additions.
    """
    return {**left, **right}


def latest(left: str | None, right: str | None) -> str | None:
    """The instant written last (the reducer of ``clock_at``).

    Every ``ask`` task that time reached in one superstep writes the same instant,
    so the channel takes several writes at once; the router clears it with None.
    """
    return right


def add_usage(left: dict[str, UsageRow], right: dict[str, UsageRow]) -> dict[str, UsageRow]:
    """Usage by purpose, added up (the reducer of the ``usage`` channel)."""
    merged = {k: dict(v) for k, v in left.items()}
    for purpose, row in right.items():
        into = merged.setdefault(purpose, {})
        for key, value in row.items():
            into[key] = into.get(key, 0) + int(value)
    return merged


class RunState(TypedDict, total=False):
    """Everything a run knows; the transcript and the run API read it back."""

    inputs: dict[str, Any]
    started_at: str
    status: RunStatus
    model: str
    plan: list[PlanItem]
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
    actions: list[ActionRecord]
    evidence: list[str]
    pending: list[QuestionRecord]
    """Questions waiting for a human; one ``ask`` task per question interrupts with it."""
    questions: Annotated[list[QuestionRecord], operator.add]
    answers: Annotated[dict[str, AnswerRecord], merge_records]
    approvals: Annotated[dict[str, AnswerRecord], merge_records]
    feedback: dict[str, list[str]]
    attempts: dict[str, int]
    clarify_rounds: dict[str, int]
    """Clarification rounds asked per step (bounded by the settings)."""
    audit_revisions: int
    verdicts: Annotated[list[VerdictRecord], operator.add]
    violations: Annotated[list[str], operator.add]
    scratchpad: Annotated[list[NoteRecord], operator.add]
    audit_log: Annotated[list[dict[str, Any]], chain_events]
    steps_log: Annotated[list[StepLogEntry], operator.add]
    timers: Annotated[list[TimerRecord], operator.add]
    """Deadlines applied and reminders due, in order (see ``agent.graph.timers``)."""
    clock_at: Annotated[str | None, latest]
    """The instant time reached the waiting questions; the router applies what is due then."""
    usage: Annotated[dict[str, UsageRow], add_usage]
    """Token counts by model call purpose: ``{purpose: {prompt_tokens, ...}}``."""
