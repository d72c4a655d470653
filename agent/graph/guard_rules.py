"""The graph's side of the deterministic rules: build their context, run them, keep dicts.

``agent.graph.rules`` evaluates a policy purely; this module feeds it from the
run state (a step's waiting result counts as done when checking "after" it)
and turns its verdicts into the plain dicts that checkpoints, the audit log and
the transcript store. A skill without a policy has no rules: everything is
left to the judge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
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


def _edited(original: dict[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
    """The action a reviewer's edit puts in place of ``original``: same step and position."""
    name = str(edited["name"])
    args = {k: v for k, v in dict(edited["args"]).items() if k not in ("id", "type", "step")}
    place = str(original.get("id", "")).rsplit(":", 1)[0]
    return {"id": f"{place}:{name}", "step": original.get("step"), "type": name, **args}


def apply_edit(
    ctx: SkillContext, state: Mapping[str, Any], question: dict[str, Any], answer: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The update (and the audit record) that puts a reviewer's edited action in place.

    The edited action replaces the proposed one in the waiting step result (the guard
    re-checks it with every rule) and among the accepted actions; the policy decides
    whether the edit counts as the approval the asking rule wanted
    (:func:`rules.approval_after_edit`). The audit log records what was put in place.
    """
    original = dict(question.get("action") or {})
    action = _edited(original, answer["edited_action"])
    update: dict[str, Any] = {
        "actions": [
            action if a.get("id") == original.get("id") else a for a in state.get("actions", [])
        ]
    }
    draft = state.get("draft")
    facts = dict(state.get("facts", {}))
    if draft is not None and draft.get("step") == original.get("step"):
        ids = [a["id"] for a in actions_of(draft)]
        raw = [dict(a) for a in draft["result"].get("actions", [])]
        if original.get("id") in ids:
            raw[ids.index(str(original["id"]))] = {
                k: v for k, v in action.items() if k not in ("id", "step")
            }
            update["draft"] = {**draft, "result": {**draft["result"], "actions": raw}}
            facts.update(draft["result"].get("fields", {}))
    approved = None
    if ctx.policy is not None and question.get("rule"):
        approved = rules.approval_after_edit(ctx.policy, str(question["rule"]), action, facts)
    if approved is not None:
        update["approvals"] = {approved: {**answer, "approved": True, "edit_of": question["id"]}}
    return update, {
        "step": original.get("step"),
        "edited": question["id"],
        "action": action,
        "approved_as": approved,
    }


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
