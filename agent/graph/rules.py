"""Deterministic evaluation of a skill's policy: no model, no I/O.

The graph calls these before and after every step and at the end of the run.
Their verdicts cannot be overridden by anything a model says: the only way
past an ``approve`` verdict is a recorded human answer with ``approved: True``
in ``ctx["approvals"]`` under the verdict's approval id.

Outcomes: ``allow``; ``revise`` (send the run back to ``Verdict.step``; the
graph bounds how often); ``approve`` (ask ``Verdict.approval`` and interrupt);
``block`` (halt). Only non-allow verdicts are returned by the step checks; the
plan check returns an ``allow`` verdict per repair it made, so the audit log
records why the order changed.

Each verdict carries the guardrail's line in SKILL.md when the caller passes
``lines`` (guardrail id → line); ``None`` otherwise.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from agent.skill.policy import (
    ApprovalRule,
    OrderRule,
    OutputRule,
    Policy,
    PreserveRule,
    RequiresRule,
)

Outcome = Literal["allow", "revise", "approve", "block"]


class RuleContext(TypedDict):
    """What the rules may look at: the run so far, as plain data."""

    completed_steps: list[str]
    facts: dict[str, Any]
    outputs: dict[str, Any]
    actions: list[dict[str, Any]]
    approvals: dict[str, dict[str, Any]]
    evidence: list[str]


class ApprovalRequest(BaseModel):
    """The question a human must answer before a guarded action may proceed."""

    model_config = ConfigDict(frozen=True)

    id: str
    question: str
    approver: str
    action_id: str
    action_type: str
    action: dict[str, Any] = Field(default_factory=dict)
    """The action as proposed, so a reviewer sees (and may edit) its arguments."""


class Verdict(BaseModel):
    """One rule's judgement, citing the guardrail (id and SKILL.md line) it enforces."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    guardrail_id: str
    line: int | None = None
    outcome: Outcome
    message: str
    tier: Literal["rule", "judge"] = "rule"
    step: str | None = None
    approval: ApprovalRequest | None = None


def _verdict(
    rule: Any,
    outcome: Outcome,
    message: str,
    lines: Mapping[str, int] | None,
    *,
    step: str | None = None,
    approval: ApprovalRequest | None = None,
) -> Verdict:
    return Verdict(
        rule_id=rule.id,
        guardrail_id=rule.guardrail,
        line=(lines or {}).get(rule.guardrail),
        outcome=outcome,
        message=message,
        step=step,
        approval=approval,
    )


def present(value: Any) -> bool:
    """A fact or output counts only when it says something (not None, '', [] or {})."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, dict, tuple, set)):
        return bool(value)
    return True


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return repr(value) if value is not None else ""


def check_plan(
    policy: Policy, plan_step_ids: list[str], lines: Mapping[str, int] | None = None
) -> tuple[list[str], list[Verdict]]:
    """The plan reordered so every ``order`` rule holds, with one verdict per move.

    Only steps already in the plan move (a missing step is not invented here: the
    ``requires`` rules halt the run if what it produces never appears).
    """
    order = list(plan_step_ids)
    verdicts: list[Verdict] = []
    rules = [r for r in policy.rules if isinstance(r, OrderRule)]
    # Each move puts one step earlier; bounding the passes keeps a cyclic policy finite.
    for _ in range(len(rules) * max(len(order), 1) + 1):
        moved = False
        for rule in rules:
            if rule.first in order and rule.then in order:
                i, j = order.index(rule.first), order.index(rule.then)
                if i > j:
                    order.insert(j, order.pop(i))
                    moved = True
                    verdicts.append(
                        _verdict(
                            rule,
                            "allow",
                            f"{rule.message} (moved {rule.first!r} before {rule.then!r})",
                            lines,
                            step="plan",
                        )
                    )
        if not moved:
            break
    return order, verdicts


def check_before(
    policy: Policy, step_id: str, ctx: RuleContext, lines: Mapping[str, int] | None = None
) -> list[Verdict]:
    """Violations that stop ``step_id`` from starting (order and required facts)."""
    verdicts: list[Verdict] = []
    for rule in policy.rules:
        if isinstance(rule, OrderRule) and rule.then == step_id:
            if rule.first not in ctx["completed_steps"]:
                verdicts.append(
                    _verdict(
                        rule,
                        "revise",
                        f"{rule.message} ({rule.first!r} has not run)",
                        lines,
                        step=rule.first,
                    )
                )
        elif (
            isinstance(rule, RequiresRule)
            and rule.before == step_id
            and not present(ctx["facts"].get(rule.fact))
        ):
            verdicts.append(_missing_fact(rule, ctx, lines))
    return verdicts


def _missing_fact(rule: RequiresRule, ctx: RuleContext, lines: Mapping[str, int] | None) -> Verdict:
    """Send back to the producer if it has not run yet; otherwise it had its chance: halt."""
    message = f"{rule.message} (missing {rule.fact!r} before {rule.before!r})"
    if rule.produced_by and rule.produced_by not in ctx["completed_steps"]:
        return _verdict(rule, "revise", message, lines, step=rule.produced_by)
    return _verdict(rule, "block", message, lines, step=rule.before)


def check_after(
    policy: Policy, step_id: str, ctx: RuleContext, lines: Mapping[str, int] | None = None
) -> list[Verdict]:
    """Violations in what ``step_id`` just produced (``ctx`` includes its result)."""
    verdicts: list[Verdict] = []
    for rule in policy.rules:
        if isinstance(rule, RequiresRule) and rule.produced_by == step_id:
            if not present(ctx["facts"].get(rule.fact)):
                message = f"{rule.message} ({step_id!r} did not produce {rule.fact!r})"
                verdicts.append(_verdict(rule, "revise", message, lines, step=step_id))
        elif isinstance(rule, ApprovalRule):
            verdicts += _approvals(rule, ctx, lines, step_id)
        elif isinstance(rule, OutputRule) and rule.step == step_id:
            if problem := _output_problem(rule, ctx):
                verdicts.append(_verdict(rule, "revise", problem, lines, step=step_id))
        elif (
            isinstance(rule, PreserveRule)
            and rule.step == step_id
            and (problem := _preserve_problem(rule, ctx))
        ):
            verdicts.append(_verdict(rule, "revise", problem, lines, step=step_id))
    return verdicts


def check_final(
    policy: Policy, ctx: RuleContext, lines: Mapping[str, int] | None = None
) -> list[Verdict]:
    """What must hold for the finished run; anything still wrong blocks completion."""
    verdicts: list[Verdict] = []
    for rule in policy.rules:
        if isinstance(rule, ApprovalRule):
            verdicts += _approvals(rule, ctx, lines, None)
        elif isinstance(rule, OutputRule):
            if problem := _output_problem(rule, ctx):
                verdicts.append(_verdict(rule, "block", problem, lines, step=rule.step))
        elif isinstance(rule, PreserveRule):
            if problem := _preserve_problem(rule, ctx):
                verdicts.append(_verdict(rule, "block", problem, lines, step=rule.step))
        elif (
            isinstance(rule, RequiresRule)
            and rule.before in ctx["completed_steps"]
            and not present(ctx["facts"].get(rule.fact))
        ):
            message = f"{rule.message} (missing {rule.fact!r})"
            verdicts.append(_verdict(rule, "block", message, lines, step=rule.before))
    return verdicts


def approval_id(rule: ApprovalRule, action: Mapping[str, Any]) -> str:
    """Id of the approval question for one action; the human's answer is stored under it.

    It covers what the action says, not just its position: a revised step that
    proposes a different forward-fix gets a new question instead of inheriting
    the answer given to the old one.
    """
    what = json.dumps(
        [_norm_type(action.get("type")), action.get("description"), action.get("target")],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(what.encode("utf-8")).hexdigest()[:8]
    return f"{rule.id}:{action.get('id', '')}:{digest}"


def _approvals(
    rule: ApprovalRule, ctx: RuleContext, lines: Mapping[str, int] | None, step_id: str | None
) -> list[Verdict]:
    """An ``approve`` verdict per matching action lacking a recorded human yes."""
    if rule.when is not None and not rule.when.holds(ctx["facts"]):
        return []
    verdicts = []
    for action in ctx["actions"]:
        if _norm_type(action.get("type")) != _norm_type(rule.action):
            continue
        if step_id is not None and action.get("step") != step_id:
            continue
        qid = approval_id(rule, action)
        answer = ctx["approvals"].get(qid)
        if answer is not None and answer.get("approved") is True:
            continue
        state = "was rejected" if answer is not None else "needs approval"
        description = action.get("description") or action.get("type")
        request = ApprovalRequest(
            id=qid,
            question=f"{rule.question} (action: {description})",
            approver=rule.approver,
            action_id=str(action.get("id", "")),
            action_type=rule.action,
            action=dict(action),
        )
        verdicts.append(
            _verdict(
                rule,
                "approve",
                f"{rule.message} ({rule.action} {state} by the {rule.approver})",
                lines,
                step=action.get("step") or step_id,
                approval=request,
            )
        )
    return verdicts


def approval_after_edit(
    policy: Policy, rule_id: str, action: Mapping[str, Any], facts: Mapping[str, Any]
) -> str | None:
    """The approval id a reviewer's edit approves, after checking the edit against the policy.

    An edit approves the edited action only under the rule that asked, and only when
    that rule still covers it (same action type, its condition still holds). Any
    other rule the edited action falls under asks its own question when the step is
    re-checked; an action no rule covers needs no approval.
    """
    rule = next((r for r in policy.rules if isinstance(r, ApprovalRule) and r.id == rule_id), None)
    if rule is None or _norm_type(action.get("type")) != _norm_type(rule.action):
        return None
    if rule.when is not None and not rule.when.holds(dict(facts)):
        return None
    return approval_id(rule, action)


def _norm_type(value: Any) -> str:
    """Action types compare loosely: 'Forward fix', 'forward_fix' and 'forward-fix' agree."""
    return re.sub(r"[\s_]+", "-", str(value or "").strip().casefold())


def _output_problem(rule: OutputRule, ctx: RuleContext) -> str | None:
    value = ctx["outputs"].get(rule.output)
    if not present(value):
        return f"{rule.message} (output {rule.output!r} is missing or empty)"
    if rule.pattern is not None:
        found = len(re.findall(rule.pattern, _text(value), flags=re.MULTILINE))
        if found < rule.min_count:
            return (
                f"{rule.message} (output {rule.output!r} has {found} match(es) of "
                f"{rule.pattern!r}, needs at least {rule.min_count})"
            )
    return None


def _preserve_problem(rule: PreserveRule, ctx: RuleContext) -> str | None:
    text = _text(ctx["outputs"].get(rule.output))
    missing = [ref for ref in dict.fromkeys(ctx["evidence"]) if ref not in text]
    if missing:
        return f"{rule.message} (not in {rule.output!r}: {', '.join(missing)})"
    return None


def approved_actions(
    values: Mapping[str, Any], policy: Policy
) -> list[tuple[str, Mapping[str, Any]]]:
    """``(approval id, action)`` for every accepted action a human approved.

    The approval id is recomputed from the action, so an edited action never rides
    on the yes given to the one it replaced.
    """
    approvals = values.get("approvals", {})
    rules = [r for r in policy.rules if isinstance(r, ApprovalRule)]
    found = []
    for action in values.get("actions", []):
        for rule in rules:
            qid = approval_id(rule, action)
            if approvals.get(qid, {}).get("approved") is True:
                found.append((qid, action))
                break
    return found


def approved_payload(
    thread_id: str, qid: str, action: Mapping[str, Any], answer: Mapping[str, Any]
) -> dict[str, Any]:
    """What the action webhook receives for one approved action (keyed by ``approval_id``)."""
    return {
        "thread_id": thread_id,
        "approval_id": qid,
        "approved_by": answer.get("by"),
        "approved_at": answer.get("at"),
        "action": {k: action.get(k) for k in ("type", "description", "target")},
    }
