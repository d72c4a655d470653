"""The HTTP API's request and response bodies (they make up the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.engine.answers import HITLResponse


class Problem(BaseModel):
    """Every error response: what went wrong, in one sentence."""

    detail: str
    errors: list[dict[str, Any]] | None = None


class SkillSummary(BaseModel):
    """A skill this server can run."""

    name: str
    description: str = ""
    version: str | None = None


class SkillField(BaseModel):
    """One input or output of a skill."""

    name: str
    type: str = "string"
    required: bool = True
    description: str = ""


class SkillStep(BaseModel):
    """One micro-skill (a step of the procedure)."""

    id: str
    title: str
    mode: str | None = None


class SkillDetail(SkillSummary):
    """A skill with what it takes, what it produces and its steps."""

    inputs: list[SkillField] = Field(default_factory=list)
    outputs: list[SkillField] = Field(default_factory=list)
    micro_skills: list[SkillStep] = Field(default_factory=list)


class StartRun(BaseModel):
    """Start ``skill`` on ``inputs``; ``evidence`` is a directory under the server's roots."""

    model_config = ConfigDict(extra="forbid")

    skill: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    evidence: str | None = None
    model: str | None = Field(
        default=None,
        description="One of the model specs the server offers (serve --allow-model); "
        "default: the server's.",
    )


class QuestionOut(BaseModel):
    """A question a paused run waits on."""

    model_config = ConfigDict(extra="allow")

    id: str
    alias: str | None = None
    text: str
    trigger: str | None = None
    options: list[str] = Field(default_factory=list)
    kind: str = "clarify"
    step: str | None = None
    deadline: str | None = Field(
        default=None, description="When the policy's fallback applies if unanswered (ISO, UTC)."
    )


class RunOut(BaseModel):
    """Where a run stands: ``running`` while it is being advanced."""

    thread_id: str
    status: str
    questions: list[QuestionOut] = Field(default_factory=list)
    outputs: dict[str, Any] = Field(default_factory=dict)
    violations: list[str] = Field(default_factory=list)
    usage: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    failure: dict[str, Any] | None = None
    timers: list[dict[str, Any]] = Field(
        default_factory=list, description="Deadlines applied and reminders due, each with its rule."
    )


class RunCreated(BaseModel):
    """A run just started."""

    thread_id: str
    status: str
    questions: list[QuestionOut] = Field(default_factory=list)


class RunSummary(BaseModel):
    """A run in a listing."""

    thread_id: str
    skill: str
    status: str
    started_at: str
    updated_at: str
    principal: str | None = None


class AnswersIn(BaseModel):
    """Answers by question id or alias (``q1``); a choice question takes one of its options.

    An approval also takes LangChain's HITL decisions (``{"decisions": [{"type":
    "approve" | "edit" | "reject", ...}]}``).
    """

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str | HITLResponse] = Field(min_length=1)


class PendingQuestion(QuestionOut):
    """A pending question with the run it belongs to and when it was asked."""

    thread_id: str
    skill: str
    asked_at: str | None = None
