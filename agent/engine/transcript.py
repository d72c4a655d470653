"""The versioned transcript: one JSON document per run, for people and for evals.

Evals score runs from this document alone, so its shape is a published
contract: :func:`transcript_json_schema` generates the JSON Schema and the
repository carries it at :data:`TRANSCRIPT_SCHEMA_PATH` (a test keeps the two
identical). Bump :data:`SCHEMA_VERSION` on any incompatible change.

Nested records accept extra keys so that adding a field to a step or verdict
does not break reading older or newer documents; the top level is closed. The
private scratchpad is present only when the caller explicitly asked for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.audit import AuditEvent

SCHEMA_VERSION = "1"
TRANSCRIPT_SCHEMA_PATH = Path(__file__).with_name("transcript.schema.json")
"""The committed JSON Schema of :class:`Transcript`."""


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SkillRef(_Open):
    """Which skill ran, pinned by the hash of its exact text."""

    name: str
    version: str | None = None
    content_hash: str


class PlanItem(_Open):
    """One planned step in run order."""

    id: str
    goal: str = ""
    mode: Literal["eco", "power"] = "power"
    reason: str = ""


class StepDecision(_Open):
    """A Decision Criteria row a step applied, with the model's rationale."""

    rule_id: str
    rationale: str = ""


class ToolCall(_Open):
    """A tool call made during a step, with its result or error."""

    id: str | None = None
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    error: bool | str | None = None


class StepRecord(_Open):
    """One executed step (a step sent back for revision appears once per attempt)."""

    id: str
    mode: Literal["eco", "power"] = "power"
    goal: str = ""
    started_at: str | None = None
    ended_at: str | None = None
    summary: str = ""
    fields: dict[str, Any] = Field(default_factory=dict)
    decisions: list[StepDecision] = Field(default_factory=list)
    messages: list[dict[str, Any]] = Field(
        default_factory=list, description="Model messages of the step, in order."
    )
    tool_calls: list[ToolCall] = Field(default_factory=list)
    confidence: float | None = None


class Question(_Open):
    """A question put to a human: clarification or approval."""

    id: str
    text: str
    trigger: str | None = None
    options: list[str] = Field(default_factory=list)
    kind: Literal["clarify", "approval"] = "clarify"
    step: str | None = None
    asked_at: str | None = None


class EditedAction(_Open):
    """The action a reviewer approved instead of the proposed one (``name`` is its type)."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class Answer(_Open):
    """A human's answer, who gave it and when (approvals say yes or no, and the decision)."""

    question_id: str
    text: str = ""
    by: str | None = None
    at: str | None = None
    approved: bool | None = None
    decision: Literal["approve", "edit", "reject"] | None = None
    message: str | None = None
    edited_action: EditedAction | None = None


class TranscriptVerdict(_Open):
    """A guardrail verdict: a deterministic rule's or the judge's."""

    rule_id: str
    guardrail_id: str
    line: int | None = None
    outcome: Literal["allow", "revise", "approve", "block"]
    message: str
    tier: Literal["rule", "judge"]
    step: str | None = None
    approval: dict[str, Any] | None = None


class Action(_Open):
    """An action a step proposed; its type names what it would change."""

    id: str
    type: str
    step: str | None = None
    description: str = ""
    status: Literal["recorded", "approved", "rejected"] = Field(
        default="recorded",
        description="recorded: no approval was asked; approved or rejected by decided_by. "
        "Nothing was changed either way: an approved action only leaves through the webhook.",
    )
    decided_by: str | None = None


class RejectedAction(_Open):
    """An action a reviewer rejected; the step's revision left it out of ``actions``."""

    id: str
    type: str
    step: str | None = None
    description: str = ""
    rejected_by: str
    reason: str | None = None


class Effect(_Open):
    """A side effect a tool caused (a proposal recorded, a message sent, an item filed).

    ``state`` is ``done`` when a step attempt the run accepted asked for it,
    ``pending`` while that step's result waits for the guard or a human, and
    ``not completed`` when its step failed or was sent back and not repeated: the
    effect happened, but the run never stood behind it.
    """

    kind: str
    state: Literal["done", "pending", "not completed"]
    steps: list[str] = Field(default_factory=list, description="Model call purposes that asked.")
    action: dict[str, Any] | None = None


class UsageRow(_Open):
    """Token counts of a set of model calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0


class Usage(_Open):
    """Token usage in total and by graph node / call purpose."""

    total: UsageRow = Field(default_factory=UsageRow)
    by_node: dict[str, UsageRow] = Field(default_factory=dict)


class StepTiming(_Open):
    """Wall time of one step attempt."""

    id: str
    ms: float | None = None


class Timings(_Open):
    """Wall time of the run and of each step, in milliseconds."""

    total_ms: float | None = None
    steps_ms: list[StepTiming] = Field(default_factory=list)


class Transcript(BaseModel):
    """Everything one run did, as one versioned document."""

    model_config = ConfigDict(extra="forbid", title="SkillweaveTranscript")

    schema_version: Literal["1"] = "1"
    thread_id: str
    skill: SkillRef
    model: str = ""
    status: Literal["running", "completed", "paused", "blocked", "failed"]
    started_at: str | None = None
    ended_at: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    plan: list[PlanItem] = Field(default_factory=list)
    steps: list[StepRecord] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    answers: list[Answer] = Field(default_factory=list)
    verdicts: list[TranscriptVerdict] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    rejected_actions: list[RejectedAction] = Field(
        default_factory=list, description="Actions proposed and rejected: nothing was changed."
    )
    effects: list[Effect] = Field(
        default_factory=list, description="Every side effect a tool caused, with its state."
    )
    outputs: dict[str, Any] = Field(default_factory=dict)
    violations: list[str] = Field(default_factory=list)
    audit_log: list[AuditEvent] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    timings: Timings = Field(default_factory=Timings)
    failure: dict[str, Any] | None = Field(
        default=None, description="What failed (type, message, node) when status is failed."
    )
    scratchpad: list[dict[str, Any]] | None = Field(
        default=None, description="Private reasoning notes; only when explicitly requested."
    )


def transcript_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Transcript` as published in the repository."""
    schema = Transcript.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def render_schema() -> str:
    """The schema file's exact text (stable key order, trailing newline)."""
    return json.dumps(transcript_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # regenerate: python -m agent.engine.transcript
    TRANSCRIPT_SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
