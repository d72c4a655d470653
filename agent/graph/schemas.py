"""The typed answers the graph asks the model for, narrowed to one skill.

Ids the model may cite (steps, triggers, decision rows, guardrails, success
criteria) are ``Literal`` enums built from the parsed skill, so a reply that
names an unknown step cannot validate: the model layer repairs it or fails,
and the graph never has to guess what an invented id meant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from agent.skill.model import Skill


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PlanStep(_Out):
    """One planned step: which micro-skill, toward what, in which mode."""

    id: str
    goal: str
    mode: Literal["eco", "power"] = "power"
    reason: str = ""


class Plan(_Out):
    """The planner's ordered plan over the skill's micro-skills."""

    steps: list[PlanStep]
    reasoning: str = Field(default="", description="Why this order; goes to the scratchpad.")


class Decision(_Out):
    """A Decision Criteria row the step applied, with why."""

    rule_id: str
    rationale: str = ""


class AmbiguityReport(_Out):
    """An Ask-When-Ambiguous trigger that fired, with values for the question template."""

    trigger: str
    template: str | None = Field(default=None, description="Question template id to ask.")
    values: dict[str, str] = Field(default_factory=dict)
    question: str = Field(default="", description="Own wording, when no template fits.")


class ProposedAction(_Out):
    """An action the step proposes (rollback, forward-fix, status-update...)."""

    type: str
    description: str = ""
    target: str = ""


class StepResult(_Out):
    """What one micro-skill step produced."""

    summary: str
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Values produced toward the skill's Outputs and facts."
    )
    decisions: list[Decision] = Field(default_factory=list)
    ambiguities: list[AmbiguityReport] = Field(default_factory=list)
    actions: list[ProposedAction] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list, description="Evidence refs relied on.")
    notes: str = Field(default="", description="Private notes for the scratchpad.")
    confidence: float = Field(default=0.5, description="From 0 to 1.")


class JudgeVerdict(_Out):
    """The judge's verdict on one guardrail line for one step."""

    guardrail: str
    outcome: Literal["allow", "revise", "approve", "block"]
    message: str = ""


class GuardVerdicts(_Out):
    """One batched judge answer covering every judged guardrail of a step."""

    verdicts: list[JudgeVerdict]


class CriterionCheck(_Out):
    """The auditor's self-check of one Success Criteria line."""

    id: str
    met: bool
    note: str = ""


class AuditCheck(_Out):
    """The model's self-check of the success criteria at the end of a run."""

    criteria: list[CriterionCheck] = Field(default_factory=list)


@dataclass(frozen=True)
class SkillSchemas:
    """The schemas above, narrowed to one skill's ids."""

    plan: type[Plan]
    step: type[StepResult]
    judge: type[GuardVerdicts]
    audit: type[AuditCheck]


def _choice(ids: Sequence[str]) -> Any:
    """A Literal of ``ids``; plain ``str`` when the skill declares none."""
    unique = tuple(dict.fromkeys(ids))
    return Literal.__getitem__(unique) if unique else str


def _optional(kind: Any) -> Any:
    return kind | None


def build_schemas(skill: Skill, step_ids: Sequence[str]) -> SkillSchemas:
    """Narrow every id field to what ``skill`` declares."""
    step_id = _choice(step_ids)
    plan_step = create_model("PlanStep", __base__=PlanStep, id=(step_id, ...))
    plan = create_model("Plan", __base__=Plan, steps=(list[plan_step], ...))

    templates = [q.id for q in skill.ambiguity.questions]
    ambiguity = create_model(
        "AmbiguityReport",
        __base__=AmbiguityReport,
        trigger=(_choice([t.id for t in skill.ambiguity.triggers]), ...),
        template=(_optional(_choice(templates) if templates else str), None),
    )
    decision = create_model(
        "Decision",
        __base__=Decision,
        rule_id=(_choice([r.id for r in skill.decision_criteria]), ...),
    )
    step = create_model(
        "StepResult",
        __base__=StepResult,
        decisions=(list[decision], Field(default_factory=list)),
        ambiguities=(list[ambiguity], Field(default_factory=list)),
    )
    verdict = create_model(
        "JudgeVerdict",
        __base__=JudgeVerdict,
        guardrail=(_choice([g.id for g in skill.guardrails]), ...),
    )
    judge = create_model("GuardVerdicts", __base__=GuardVerdicts, verdicts=(list[verdict], ...))
    check = create_model(
        "CriterionCheck",
        __base__=CriterionCheck,
        id=(_choice([c.id for c in skill.success_criteria]), ...),
    )
    audit = create_model(
        "AuditCheck",
        __base__=AuditCheck,
        criteria=(list[check], Field(default_factory=list)),
    )
    return SkillSchemas(plan=plan, step=step, judge=judge, audit=audit)
