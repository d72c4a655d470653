"""The typed answers the graph asks the model for, narrowed to one skill.

Ids the model may cite (steps, triggers, decision rows, guardrails, success
criteria) are ``Literal`` enums built from the parsed skill, so a reply that
names an unknown step cannot validate: the model layer repairs it or fails,
and the graph never has to guess what an invented id meant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from agent.skill.model import IOField, Skill


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
    """An action the step proposes; its type names what it would change."""

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
    """The schemas above, narrowed to one skill's ids and, per step, to its fields."""

    plan: type[Plan]
    step: type[StepResult]
    judge: type[GuardVerdicts]
    audit: type[AuditCheck]
    steps: dict[str, type[StepResult]] = field(default_factory=dict)

    def step_for(self, step_id: str) -> type[StepResult]:
        """The result schema of one step (the generic one when the step names no fields)."""
        return self.steps.get(step_id, self.step)


_FIELD_TYPES: dict[str, Any] = {
    "string": str,
    "str": str,
    "text": str,
    "markdown": str,
    "number": float,
    "float": float,
    "integer": int,
    "int": int,
    "boolean": bool,
    "bool": bool,
    "list": list[Any],
    "array": list[Any],
    "object": dict[str, Any],
    "dict": dict[str, Any],
}


class _Fields(BaseModel):
    """A step's fields: the named ones first, any other value the step produced allowed."""

    model_config = ConfigDict(extra="allow")


def _fields_model(step_id: str, outputs: Sequence[IOField], facts: Sequence[str]) -> Any:
    """Properties for the skill's Outputs and the facts the policy says this step owes.

    Naming them lets strict decoding (which requires every property, nullable when
    optional) and llama.cpp's schema grammars make a model produce them; an open
    ``fields`` object could be filled with nothing and still validate. They stay
    optional here: a step that has to ask first may not know them yet, and the
    policy's rules, not the schema, decide what a missing fact means.
    """
    spec: dict[str, Any] = {}
    for out in outputs:
        kind = _FIELD_TYPES.get(out.type.strip("`").lower(), str)
        spec[out.name] = (kind | None, Field(default=None, description=out.description))
    for fact in facts:
        spec[fact] = (
            Any,
            Field(default=None, description=f"The `{fact}` this step must establish."),
        )
    name = "Fields_" + "".join(p.capitalize() for p in step_id.replace("-", "_").split("_"))
    return create_model(name, __base__=_Fields, **spec)


def _choice(ids: Sequence[str]) -> Any:
    """A Literal of ``ids``; plain ``str`` when the skill declares none."""
    unique = tuple(dict.fromkeys(ids))
    return Literal.__getitem__(unique) if unique else str


def _optional(kind: Any) -> Any:
    return kind | None


def build_schemas(
    skill: Skill, step_ids: Sequence[str], owed: Mapping[str, Sequence[str]] | None = None
) -> SkillSchemas:
    """Narrow every id field to what ``skill`` declares; ``owed`` maps step → facts it owes."""
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
    steps: dict[str, type[StepResult]] = {}
    for sid in step_ids:
        if not skill.outputs and not (owed or {}).get(sid):
            continue
        named = _fields_model(sid, skill.outputs, (owed or {}).get(sid, ()))
        steps[sid] = create_model(
            "StepResult",
            __base__=step,
            fields=(
                named,
                Field(
                    default_factory=named,
                    description="Values toward the skill's Outputs and the facts owed.",
                ),
            ),
        )
    return SkillSchemas(plan=plan, step=step, judge=judge, audit=audit, steps=steps)
