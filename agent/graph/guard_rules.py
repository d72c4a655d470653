"""The graph's side of the deterministic rules: build their context, run them, keep dicts.

``agent.graph.rules`` evaluates a policy purely; this module feeds it from the
run state (a step's waiting result counts as done when checking "after" it)
and turns its verdicts into the plain dicts that checkpoints, the audit log and
the transcript store. A skill without a policy has no rules: everything is
left to the judge.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from agent.graph import rules
from agent.graph.state import RunState
from agent.skill.model import Guardrail, Skill
from agent.skill.policy import Policy, RequiresRule

if TYPE_CHECKING:
    from agent.graph._context import SkillContext


def _plain(verdict: Any, step: str | None = None) -> dict[str, Any]:
    if hasattr(verdict, "model_dump"):
        data: dict[str, Any] = verdict.model_dump(mode="json")
    else:
        data = dataclasses.asdict(verdict)
    if step is not None and not data.get("step"):
        data["step"] = step
    return data


def actions_of(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """A step result's proposed actions with stable ids, as the rules expect them."""
    step = draft["step"]
    return [
        {"id": f"{step}:{i}:{a.get('type', '')}", "step": step, **a}
        for i, a in enumerate(draft["result"].get("actions", []))
    ]


def context(
    state: RunState, draft: dict[str, Any] | None = None, declared: frozenset[str] = frozenset()
) -> rules.RuleContext:
    """What the rules see: finished steps, merged facts, outputs, actions, approvals, evidence."""
    completed = list(state.get("results", {}))
    facts = dict(state.get("facts", {}))
    actions: list[dict[str, Any]] = [dict(a) for a in state.get("actions", [])]
    evidence = list(state.get("evidence", []))
    outputs = dict(state.get("outputs", {}))
    if draft is not None:
        step = draft["step"]
        result = draft["result"]
        completed = [s for s in completed if s != step] + [step]
        facts.update(result.get("fields", {}))
        outputs.update({k: v for k, v in result.get("fields", {}).items() if k in declared})
        actions = [a for a in actions if a.get("step") != step] + actions_of(draft)
        evidence = list(dict.fromkeys([*evidence, *result.get("evidence", [])]))
    return rules.RuleContext(
        completed_steps=completed,
        facts=facts,
        outputs=outputs,
        actions=actions,
        approvals={k: dict(v) for k, v in state.get("approvals", {}).items()},
        evidence=evidence,
    )


def plan_order(ctx: SkillContext, ids: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """The plan in an order the rules accept, with a verdict recording each repair."""
    if ctx.policy is None:
        return ids, []
    order, verdicts = rules.check_plan(ctx.policy, ids, ctx.lines)
    return list(order), [_plain(v, "plan") for v in verdicts]


def before(ctx: SkillContext, state: RunState, step_id: str) -> list[dict[str, Any]]:
    """Rules that must hold before ``step_id`` runs."""
    if ctx.policy is None:
        return []
    return [_plain(v) for v in rules.check_before(ctx.policy, step_id, context(state), ctx.lines)]


def after(ctx: SkillContext, state: RunState, draft: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules that must hold once the waiting result is accepted."""
    if ctx.policy is None:
        return []
    step = draft["step"]
    return [
        _plain(v, step)
        for v in rules.check_after(ctx.policy, step, context(state, draft, ctx.declared), ctx.lines)
    ]


def final(ctx: SkillContext, state: RunState) -> list[dict[str, Any]]:
    """Rules that must hold at the end of the run (the auditor's deterministic part)."""
    if ctx.policy is None:
        return []
    return [_plain(v) for v in rules.check_final(ctx.policy, context(state), ctx.lines)]


def owed_facts(policy: Policy | None) -> dict[str, list[str]]:
    """Step id → the facts the policy requires it to produce (``requires`` rules)."""
    owed: dict[str, list[str]] = {}
    for rule in policy.rules if policy is not None else ():
        if isinstance(rule, RequiresRule) and rule.produced_by:
            owed.setdefault(rule.produced_by, []).append(rule.fact)
    return owed


def judged_guardrails(policy: Policy | None, skill: Skill) -> list[Guardrail]:
    """Guardrails the model judges: the policy's list, else every one without a rule."""
    if policy is None:
        return list(skill.guardrails)
    ids = set(policy.judged_guardrails([g.id for g in skill.guardrails]))
    return [g for g in skill.guardrails if g.id in ids]


def skip_judge_in_eco(ctx: SkillContext) -> bool:
    """Whether the policy lets eco-mode steps go unjudged."""
    return bool(ctx.policy is not None and ctx.policy.judge.skip_judge_in_eco)
