"""The guard: accept a step's result only when the rules and the judge allow it.

Order matters: questions the step raised come first (the step re-runs with the
answers); then the deterministic rules, whose outcome no model can change; then
the batched LLM judge for the guardrails no rule covers. The judge runs at most
once per draft, so a re-check after an approval costs no model call.
Clarification is bounded per step (``max_clarify_rounds``) and per run (questions):
past a bound the step's own assumption stands and is recorded instead of asking
again, or the run blocks with a violation when the policy says so.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.errors import ModelOutputError
from agent.graph import facts, guard_rules
from agent.graph._context import SkillContext, call_model, events, note, send_approved, usage_of
from agent.graph.nodes.router import approval_questions, approved_by_human, ask, blocked, send_back
from agent.graph.prompts import judge_messages, judge_run_messages
from agent.graph.questions import clarify_question
from agent.graph.state import RunState
from agent.llm.base import ModelRequest
from agent.skill.model import Guardrail, MicroSkill


def _accept(
    state: RunState, draft: dict[str, Any], verdicts: list[dict[str, Any]], declared: frozenset[str]
) -> Command[str]:
    """Merge the draft into facts, outputs, actions and evidence, and move on."""
    step_id, result = draft["step"], draft["result"]
    fields = result.get("fields", {})
    outputs = dict(state.get("outputs", {}))
    outputs.update({k: v for k, v in fields.items() if k in declared})
    actions = [dict(a) for a in state.get("actions", []) if a.get("step") != step_id]
    actions += guard_rules.actions_of(draft)
    evidence = list(dict.fromkeys([*state.get("evidence", []), *result.get("evidence", [])]))
    back = state.get("return_to")
    # Approvals are taken into account here, by the rules that asked for them.
    seen = sorted({*draft.get("answers_seen", []), *state.get("approvals", {})})
    draft = {**draft, "answers_seen": seen}
    return Command(
        goto="router",
        update={
            "results": {**state.get("results", {}), step_id: draft},
            "facts": {**state.get("facts", {}), **fields},
            "outputs": outputs,
            "actions": actions,
            "evidence": evidence,
            "draft": None,
            "cursor": back if back is not None else state.get("cursor", 0) + 1,
            "return_to": None,
            "verdicts": verdicts,
            "audit_log": events(
                *(("verdict", v) for v in verdicts),
                *(("decision", {"step": step_id, **d}) for d in result.get("decisions", [])),
            ),
        },
    )


def _clarify(
    ctx: SkillContext, state: RunState, draft: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """The questions the step raised that were not asked yet, within the clarification bounds.

    Model-made questions are deduplicated by their normalized text (the id hashes it).
    Two bounds hold: rounds per step (``max_clarify_rounds``) and questions per run
    (the policy's ``clarify.per_run``, else ``max_clarify_questions``). Past either,
    the unasked questions become a recorded assumption and the step's result stands,
    or (policy ``clarify.past_bound: block``) the third value says why the run blocks.
    """
    step_id = draft["step"]
    asked = state.get("questions", [])
    new: dict[str, dict[str, Any]] = {}
    for report in draft["result"].get("ambiguities", []):
        q = clarify_question(ctx.skill, report, ctx.prefix + step_id)
        if q["id"] not in {a["id"] for a in asked}:
            new.setdefault(q["id"], q)
    rounds = state.get("clarify_rounds", {}).get(step_id, 0)
    if rounds >= ctx.settings.max_clarify_rounds:
        room, bound = 0, f"{ctx.settings.max_clarify_rounds} rounds for step {step_id}"
    else:
        per_run = ctx.clarify_per_run
        room = max(per_run - sum(q["kind"] == "clarify" for q in asked), 0)
        bound = f"{per_run} questions per run"
    fresh = list(new.values())
    kept, dropped = fresh[:room], fresh[room:]
    if not dropped:
        return kept, {}, ""
    texts = "; ".join(q["text"] for q in dropped)
    why = f"not asked (clarification bound of {bound} reached): {texts}"
    if ctx.policy is not None and ctx.policy.clarify.past_bound == "block":
        # ask what still fits first: the step re-runs with the answers and may not need the rest
        stop = f"step {step_id} needs answers the run may no longer ask for: {why}"
        return kept, {}, "" if kept else stop
    return (
        kept,
        {
            "scratchpad": note(step_id, "assumption", why),
            "audit_log": events(("decision", {"step": step_id, "assumed": why})),
        },
        "",
    )


def make_guard(ctx: SkillContext) -> Any:
    """Node factory: check the waiting step result and route on the outcome."""

    async def guard(state: RunState, runtime: Runtime[Any]) -> Command[str]:
        draft = dict(state["draft"] or {})
        step_id = draft["step"]
        supplied: list[tuple[str, dict[str, Any]]] = []
        if owed := facts.owed_questions(ctx, state, draft):
            answers = dict(state.get("answers", {}))
            if waiting := [q for q in owed if q["id"] not in answers]:
                return ask(ctx, state, waiting, [])  # the draft waits for the human's facts
            draft, given = facts.supplied(draft, owed, answers)
            supplied.append(("decision", given))
        if draft.get("unusable"):
            return blocked([str(draft["unusable"])], [])
        if draft.get("invoked_status") not in (None, "completed"):
            why = draft.get("invoked_violations") or [
                f"invoked step {step_id} ended {draft['invoked_status']}"
            ]
            return blocked(list(why), [])
        new, assumed, stop = _clarify(ctx, state, draft)
        if stop:
            return blocked([stop], [])
        if new:
            # The step re-runs with the answers; its partial result is in steps_log.
            rounds = dict(state.get("clarify_rounds", {}))
            rounds[step_id] = rounds.get(step_id, 0) + 1
            return ask(
                ctx,
                state,
                new,
                [],
                draft=None,
                clarify_rounds=rounds,
                scratchpad=[
                    *assumed.get("scratchpad", []),
                    *note(step_id, "ask", f"asked {[q['id'] for q in new]}"),
                ],
                audit_log=assumed.get("audit_log", []),
            )

        verdicts = guard_rules.after(ctx, state, draft)
        update: dict[str, Any] = {}
        if "judged" not in draft:
            draft["judged"], update = await _judge(ctx, runtime, state, draft)
        verdicts += draft["judged"]
        command = _decide(ctx, state, draft, verdicts)
        # The judge's usage and verdicts (and the judged draft, for a re-check after an
        # approval) survive whichever way the run goes.
        merged: dict[str, Any] = {"draft": draft, **dict(command.update or {})}
        for key in ("usage",):
            if key in update:
                merged[key] = update[key]
        update["audit_log"] = [*events(*supplied), *update.get("audit_log", [])]
        for key in ("verdicts", "audit_log", "scratchpad"):
            extra = [*assumed.get(key, []), *update.get(key, [])]
            if extra:
                merged[key] = [*extra, *merged.get(key, [])]
        if "results" in merged:  # the step was accepted: its approved actions may leave
            await send_approved(runtime, ctx, {**state, **merged})
        return Command(goto=command.goto, update=merged)

    return guard


def _decide(
    ctx: SkillContext, state: RunState, draft: dict[str, Any], verdicts: list[dict[str, Any]]
) -> Command[str]:
    """Rules first (no model output can change them), then the judge's verdicts."""
    step_id = draft["step"]
    failing = [v for v in verdicts if v["outcome"] != "allow"]
    rules = [v for v in failing if v["tier"] != "judge"]  # judge verdicts are recorded already
    if hard := [v for v in failing if v["outcome"] == "block"]:
        return blocked([v["message"] for v in hard], rules)
    if revise := [v for v in failing if v["outcome"] == "revise"]:
        return _revise(ctx, state, step_id, revise, rules, "")
    if approve := [v for v in failing if v["outcome"] == "approve"]:
        if questions := approval_questions(state, approve, ctx.prefix + step_id):
            return ask(ctx, state, questions, rules)
        # Every question is answered: a judge's "a human must approve" is settled by the
        # human (rules settle their own approvals before they reach this point).
        if refused := [v for v in approve if not approved_by_human(state, v, ctx.prefix + step_id)]:
            return _revise(ctx, state, step_id, refused, rules, "not approved: ")
    return _accept(state, draft, rules, ctx.declared)


def _revise(
    ctx: SkillContext,
    state: RunState,
    step_id: str,
    failing: list[dict[str, Any]],
    rules: list[dict[str, Any]],
    prefix: str,
) -> Command[str]:
    """Send back the earliest step a failing verdict belongs to, with that step's messages.

    A verdict on an earlier step (a rule's, or the run judge's) re-runs that step, then
    the steps after it up to this one, which are judged again; this step's own re-run
    keeps its return point.
    """
    order = {p["id"]: i for i, p in enumerate(state.get("plan", []))}
    steps = [v.get("step") or step_id for v in failing]
    target = min(steps, key=lambda s: order.get(s, len(order)))
    mine = [v for v in failing if (v.get("step") or step_id) == target]
    message = "; ".join(f"{prefix}{v['message']}" for v in mine)
    resume_at = state.get("return_to") if target == step_id else state.get("cursor")
    return send_back(ctx, state, target, message, rules, resume_at=resume_at)


def _to_judge(
    ctx: SkillContext, state: RunState, draft: dict[str, Any]
) -> list[tuple[MicroSkill, list[Guardrail], dict[str, Any]]]:
    """What this guard's judge call covers: (step, its judged guardrails, its result).

    Normally the draft's step alone; with ``judge.at: last-step``, nothing until the
    plan's last step, then every planned step with a result (eco-mode steps left out
    when the policy says so).
    """
    step_id = draft["step"]
    plan = state.get("plan", [])
    if ctx.judge_at_end:
        if not plan or plan[-1]["id"] != step_id:
            return []
        ids = [p["id"] for p in plan]
    else:
        ids = [step_id]
    modes = {p["id"]: p["mode"] for p in plan}
    results = state.get("results", {})
    sections = []
    for sid in ids:
        if modes.get(sid, "power") == "eco" and guard_rules.skip_judge_in_eco(ctx):
            continue
        wanted = ctx.judged.get(sid, ())
        guardrails = [g for g in ctx.skill.guardrails if g.id in wanted]
        source = draft if sid == step_id else results.get(sid, {})
        # a result the human supplied has no model text to judge
        result = None if source.get("from_human") else source.get("result")
        if guardrails and result is not None:
            sections.append((ctx.step(sid), guardrails, result))
    return sections


def _named_steps(
    sections: list[tuple[MicroSkill, list[Guardrail], dict[str, Any]]],
) -> dict[str, tuple[Guardrail, list[str]]]:
    """Guardrail id → the guardrail and the ids of the judged steps it applies to."""
    named: dict[str, tuple[Guardrail, list[str]]] = {}
    for step, guardrails, _ in sections:
        for g in guardrails:
            named.setdefault(g.id, (g, []))[1].append(step.id)
    return named


async def _judge(
    ctx: SkillContext, runtime: Runtime[Any], state: RunState, draft: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One batched model call over the judged guardrails (see :func:`_to_judge`)."""
    step_id = draft["step"]
    sections = _to_judge(ctx, state, draft)
    if not sections or not ctx.settings.judge:
        return [], {}
    purpose = ctx.purpose(f"judge:{step_id}")
    named = _named_steps(sections)
    if len(sections) == 1:
        step, guardrails, result = sections[0]
        messages = judge_messages(ctx.skill, ctx.kernels, step, guardrails, result)
    else:
        results = {step.id: result for step, _, result in sections}
        messages = judge_run_messages(ctx.skill, ctx.kernels, list(named.values()), results)
    first = sections[0][1][0]
    try:
        response = await call_model(
            runtime, ModelRequest(purpose=purpose, messages=messages, schema=ctx.schemas.judge)
        )
    except ModelOutputError as exc:
        # No usable verdict on prose guardrails: fail closed, the run blocks with the reason.
        unusable = {
            "rule_id": "judge:unusable",
            "guardrail_id": first.id,
            "line": first.line,
            "outcome": "block",
            "message": f"the judge's reply for step `{step_id}` was unusable: {exc}"[:500],
            "tier": "judge",
            "step": step_id,
            "approval": None,
        }
        return [unusable], {
            "verdicts": [unusable],
            "usage": usage_of(purpose, exc),
            "audit_log": events(("verdict", unusable)),
        }
    output = response.output
    assert not isinstance(output, str)
    # a revision goes to the one step a guardrail names, else to this one
    targets = {gid: steps[0] if len(steps) == 1 else step_id for gid, (_, steps) in named.items()}
    verdicts = [
        {
            "rule_id": f"judge:{v.guardrail}",
            "guardrail_id": v.guardrail,
            "line": named[v.guardrail][0].line,
            "outcome": v.outcome,
            "message": v.message or v.guardrail,
            "tier": "judge",
            "step": targets[v.guardrail],
            "approval": None,
        }
        for v in output.verdicts
        if v.guardrail in named  # a verdict on a rule-covered guardrail cannot count
    ]
    # Recorded now, allow or not, so the log shows what the judge said even when a rule wins.
    return verdicts, {
        "usage": usage_of(purpose, response),
        "verdicts": verdicts,
        "audit_log": events(*(("verdict", v) for v in verdicts)),
    }
