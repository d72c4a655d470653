"""The router: what happens next, with the deterministic "before step" rules applied.

It owns the loop over the plan. Before a step runs, the policy's rules are
checked in code: an unmet requirement sends the run back to the step that
produces it (bounded), an action that needs approval becomes a question, and a
hard violation halts the run as ``blocked``. Nothing a model said can change
these outcomes; only a recorded human approval can.

The helpers here build the updates other nodes route with; like every node they
return only what they add to the append-only channels.
"""

from __future__ import annotations

from typing import Any, cast

from langgraph.graph import END
from langgraph.types import Command, Send

from agent.graph import guard_rules, timers
from agent.graph._context import SkillContext, current_time, events
from agent.graph.questions import make_question
from agent.graph.state import RunState


def blocked(violations: list[str], verdicts: list[dict[str, Any]], **update: Any) -> Command[str]:
    """Halt the run as ``blocked``, with the violations on record."""
    return Command(
        goto=END,
        update={
            **update,
            "status": "blocked",
            "violations": violations,
            "verdicts": verdicts,
            "audit_log": [
                *update.get("audit_log", []),
                *events(
                    *(("verdict", v) for v in verdicts),
                    ("status", {"status": "blocked", "violations": violations}),
                ),
            ],
        },
    )


def _approval_question(verdict: dict[str, Any], step: str) -> dict[str, Any]:
    """The question an ``approve`` verdict puts to a human (the same id every time)."""
    request = verdict.get("approval") or {}
    text = request.get("question") or verdict["message"]
    q = make_question(
        source=verdict["rule_id"], text=text, kind="approval", step=step, trigger=None
    )
    q["rule"] = verdict["rule_id"]
    if request.get("id"):
        q.update(id=request["id"], action=dict(request.get("action") or {}))
    return q


def approval_questions(
    state: RunState, verdicts: list[dict[str, Any]], step: str
) -> list[dict[str, Any]]:
    """Questions for every ``approve`` verdict that has no recorded answer yet."""
    asked = (_approval_question(v, step) for v in verdicts)
    return [q for q in asked if q["id"] not in state.get("approvals", {})]


def approved_by_human(state: RunState, verdict: dict[str, Any], step: str) -> bool:
    """Whether a human answered this ``approve`` verdict's question with an approval."""
    answer = state.get("approvals", {}).get(_approval_question(verdict, step)["id"])
    return answer is not None and answer.get("approved") is True


def ask(
    ctx: SkillContext,
    state: RunState,
    questions: list[dict[str, Any]],
    verdicts: list[dict[str, Any]],
    **update: Any,
) -> Command[str]:
    """Ask ``questions``: one ``ask`` task (one interrupt) per question, all at once.

    Each question asked for the first time gets the run's next short alias (``q1``)
    and its deadline from the policy, on the run's clock.
    """
    facts, at = timers.facts_of(state), current_time()
    known: dict[str, dict[str, Any]] = {p["id"]: dict(p) for p in state.get("questions", [])}
    asked: list[dict[str, Any]] = []
    pending = []
    for q in questions:
        if q["id"] in known:
            pending.append(known[q["id"]])
            continue
        q = {**timers.with_deadline(ctx, q, facts, at), "alias": f"q{len(known) + len(asked) + 1}"}
        asked.append(q)
        pending.append(q)
    return Command(
        goto=sends(pending),
        update={
            **update,
            "pending": pending,
            "questions": asked,
            "verdicts": verdicts,
            "audit_log": [
                *update.get("audit_log", []),
                *events(*(("verdict", v) for v in verdicts), *(("question", q) for q in asked)),
            ],
        },
    )


def sends(questions: list[dict[str, Any]]) -> list[Send]:
    """One ``ask`` task per question, so each waits as its own interrupt."""
    return [Send("ask", dict(q)) for q in questions]


def collect(ctx: SkillContext, state: RunState) -> Command[str] | dict[str, Any]:
    """After the ``ask`` tasks: ask again what is still unanswered, else the update to apply.

    The ``ask`` tasks of one superstep run side by side and only add answers; the
    router, running alone afterwards, clears ``pending`` and puts a reviewer's edited
    action in place of the proposed one (re-checked by the policy).
    """
    pending: list[dict[str, Any]] = [dict(q) for q in state.get("pending", [])]
    answers = state.get("answers", {})
    still = [q for q in pending if q["id"] not in answers]
    if still:
        return Command(goto=sends(still), update={"pending": still})
    update: dict[str, Any] = {"pending": []}
    logged: list[tuple[str, dict[str, Any]]] = []
    for q in pending:
        answer = dict(answers[q["id"]])
        if answer.get("decision") == "edit" and q.get("action"):
            edit, decided = guard_rules.apply_edit(ctx, {**state, **update}, q, answer)
            approvals = {**update.get("approvals", {}), **edit.pop("approvals", {})}
            update.update(edit, **({"approvals": approvals} if approvals else {}))
            logged.append(("decision", decided))
    if logged:
        update["audit_log"] = events(*logged)
    return update


def _applied(state: RunState, update: dict[str, Any]) -> RunState:
    """The state the rest of the router sees once the collected answers are in place."""
    approvals = {**state.get("approvals", {}), **update.get("approvals", {})}
    return cast(RunState, {**state, **update, "approvals": approvals})


def _joined(first: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """Two updates as one: audit events in order, answer records merged, ``then`` last."""
    joined = {**first, **then}
    if "audit_log" in first and "audit_log" in then:
        joined["audit_log"] = [*first["audit_log"], *then["audit_log"]]
    if "approvals" in first and "approvals" in then:
        joined["approvals"] = {**first["approvals"], **then["approvals"]}
    return joined


def _with(update: dict[str, Any], command: Command[str]) -> Command[str]:
    """``command`` carrying ``update`` too (audit events in order, the command's values last)."""
    if not update:
        return command
    return Command(goto=command.goto, update=_joined(update, dict(command.update or {})))


def send_back(
    ctx: SkillContext,
    state: RunState,
    target: str,
    message: str,
    verdicts: list[dict[str, Any]],
    *,
    resume_at: int | None,
    **update: Any,
) -> Command[str]:
    """Re-run ``target`` with ``message`` as feedback, or block once its revisions are used up."""
    attempts = dict(state.get("attempts", {}))
    if attempts.get(target, 0) >= ctx.settings.max_step_revisions:
        return blocked(
            [f"{message} (still unmet after {attempts.get(target, 0)} revision(s) of {target})"],
            verdicts,
            **update,
        )
    attempts[target] = attempts.get(target, 0) + 1
    feedback = dict(state.get("feedback", {}))
    feedback[target] = [*feedback.get(target, []), message]
    index = next(i for i, p in enumerate(state["plan"]) if p["id"] == target)
    return Command(
        goto="router",
        update={
            **update,
            "attempts": attempts,
            "feedback": feedback,
            "cursor": index,
            "return_to": resume_at,
            "draft": None,
            "verdicts": verdicts,
            "audit_log": [
                *update.get("audit_log", []),
                *events(
                    *(("verdict", v) for v in verdicts),
                    ("decision", {"revise": target, "reason": message}),
                ),
            ],
        },
    )


def make_router(ctx: SkillContext) -> Any:
    """Node factory: pick the next node after checking the rules that guard the next step."""

    def router(state: RunState) -> Command[str]:
        if not state.get("pending"):
            return route(state)
        timed: dict[str, Any] = {}
        if state.get("clock_at"):
            timed, reasons = timers.expire(ctx, state)
            if reasons:
                return blocked(reasons, [], **{**timed, "pending": []})
            state = cast(RunState, {**state, **timed})
        collected = collect(ctx, state)
        if isinstance(collected, Command):
            return _with(timed, collected)
        update = _joined(timed, collected)
        return _with(update, route(_applied(state, collected)))

    def route(state: RunState) -> Command[str]:
        if state.get("draft"):
            return Command(goto="guard")  # an approval came back: re-check the waiting result
        plan = state.get("plan", [])
        cursor = state.get("cursor", 0)
        if cursor >= len(plan):
            return Command(goto="audit")
        step_id = plan[cursor]["id"]
        verdicts = guard_rules.before(ctx, state, step_id)
        failing = [v for v in verdicts if v["outcome"] != "allow"]
        if hard := [v for v in failing if v["outcome"] == "block"]:
            return blocked([v["message"] for v in hard], failing)
        if revise := [v for v in failing if v["outcome"] == "revise"]:
            target = revise[0].get("step") or ""
            if target in {p["id"] for p in plan} and target != step_id:
                return send_back(
                    ctx, state, target, revise[0]["message"], failing, resume_at=cursor
                )
            return blocked([v["message"] for v in revise], failing)
        if approve := [v for v in failing if v["outcome"] == "approve"]:
            if questions := approval_questions(state, approve, ctx.prefix + step_id):
                return ask(ctx, state, questions, failing)
            return blocked([f"not approved: {v['message']}" for v in approve], failing)
        return Command(goto=step_id)

    return router
