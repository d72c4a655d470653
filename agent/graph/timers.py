"""Deadlines on questions and reminders while a run waits: the policy's clocks, in code.

A question gets its deadline when it is first asked (the first ``deadline`` rule
that selects it, its window read from the facts at that moment, on the run's
clock). Time passing reaches a paused run as the resume value ``{CLOCK_KEY: iso}``
that the engine sends to every waiting question's interrupt; each ``ask`` task
writes the instant to ``clock_at``, and the router, running once after them,
applies (:func:`expire`) every fallback that is due at that instant and records
every reminder that came due. Because the instant travels in the resume value
and the state, a re-run computes the same result. Nothing here calls a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from agent.graph._context import SkillContext, events, iso, parse_iso
from agent.graph.questions import answer_record
from agent.graph.state import RunState
from agent.skill.policy import DeadlineRule, Policy

CLOCK_KEY = "__clock__"
"""The resume-value key that tells the ``ask`` node what time it is (never a question id)."""


def facts_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """Accepted facts plus those of a result that waits for the guard (its step asked)."""
    draft = state.get("draft") or {}
    return {**state.get("facts", {}), **draft.get("result", {}).get("fields", {})}


def _rule_for(ctx: SkillContext, question: Mapping[str, Any]) -> DeadlineRule | None:
    if ctx.policy is None:
        return None
    step = str(question.get("step") or "").removeprefix(ctx.prefix) or None
    return next((r for r in ctx.policy.deadline_rules() if r.selects(question, step)), None)


def with_deadline(
    ctx: SkillContext, question: dict[str, Any], facts: Mapping[str, Any], at: datetime
) -> dict[str, Any]:
    """``question`` with ``deadline`` (ISO, or None) and the ``deadline_rule`` that set it."""
    rule = _rule_for(ctx, question)
    window = rule.window(facts) if rule is not None else None
    if rule is None or window is None:
        return {**question, "deadline": None}
    return {**question, "deadline": iso(at + window), "deadline_rule": rule.id}


def question_deadlines(questions: Sequence[Mapping[str, Any]]) -> list[datetime]:
    """The deadlines the pending ``questions`` carry."""
    return [parse_iso(str(q["deadline"])) for q in questions if q.get("deadline")]


def _last_reminder(values: Mapping[str, Any], rule_id: str) -> str | None:
    dues = [
        t["due"]
        for t in values.get("timers", [])
        if t.get("kind") == "reminder" and t.get("rule_id") == rule_id
    ]
    return dues[-1] if dues else None


def reminder_times(policy: Policy | None, values: Mapping[str, Any]) -> dict[str, datetime]:
    """Rule id → when its next reminder is due (from the run's start or its last reminder)."""
    started = values.get("started_at")
    if policy is None or not started:
        return {}
    facts = facts_of(values)
    times: dict[str, datetime] = {}
    for rule in policy.reminder_rules():
        interval = rule.interval(facts)
        if interval is not None:
            anchor = _last_reminder(values, rule.id) or str(started)
            times[rule.id] = parse_iso(anchor) + interval
    return times


def due_times(
    policy: Policy | None, values: Mapping[str, Any], questions: Sequence[Mapping[str, Any]]
) -> list[datetime]:
    """Every pending deadline and next reminder of a paused run, earliest first.

    Reminders count only while the run's own skill asks: an invoked skill's ``ask``
    node (its steps are ``skill/step``) cannot record them in the run's state.
    """
    at_root = all("/" not in str(q.get("step") or "") for q in questions)
    reminders = reminder_times(policy, values).values() if at_root else ()
    return sorted([*question_deadlines(questions), *reminders])


def _reminders(ctx: SkillContext, state: RunState, at: datetime) -> list[dict[str, Any]]:
    """A record per reminder rule whose time came (slots missed while nobody looked counted)."""
    if ctx.prefix or ctx.policy is None:
        return []  # reminders belong to the run's own skill, not an invoked one
    records = []
    facts = facts_of(state)
    times = reminder_times(ctx.policy, state)
    for rule in ctx.policy.reminder_rules():
        due = times.get(rule.id)
        interval = rule.interval(facts)
        if due is None or interval is None or due > at:
            continue
        missed = int((at - due) / interval)
        records.append(
            {
                "kind": "reminder",
                "rule_id": rule.id,
                "message": rule.message,
                "due": iso(due + missed * interval),
                "at": iso(at),
                "missed": missed,
            }
        )
    return records


class Expiry:
    """What applying the due deadlines at one instant does to a paused run's state."""

    def __init__(self, ctx: SkillContext, state: RunState, at: datetime) -> None:
        self.ctx, self.at = ctx, at
        self.facts: dict[str, Any] = dict(state.get("facts", {}))
        self.outputs: dict[str, Any] = dict(state.get("outputs", {}))
        self.answers: dict[str, Any] = dict(state.get("answers", {}))
        self.approvals: dict[str, Any] = dict(state.get("approvals", {}))
        self.timers: list[dict[str, Any]] = _reminders(ctx, state, at)
        self.notes: list[dict[str, Any]] = []
        self.blocked: list[str] = []
        self.escalated: dict[str, tuple[Any, Any]] = {}
        """Fact → (from, to) moved at this instant: several questions due at once move it once."""

    def apply(self, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The questions still pending after every due fallback has been applied."""
        still = []
        for q in pending:
            rule = self._due_rule(q)
            if rule is None:
                still.append(q)
            elif rule.fallback == "answer":
                self._answer(q, rule)
            elif rule.fallback == "escalate":
                still.append(self._escalate(q, rule))
            else:
                self._record(q, rule, {})
                self.blocked.append(
                    f"{rule.message} (question {q['id']} unanswered by {q['deadline']})"
                )
        return still

    def _due_rule(self, q: dict[str, Any]) -> DeadlineRule | None:
        """The rule whose deadline passed; a due deadline whose rule is gone is cleared."""
        if not q.get("deadline") or parse_iso(str(q["deadline"])) > self.at:
            return None
        rules = self.ctx.policy.deadline_rules() if self.ctx.policy is not None else []
        found = next((r for r in rules if r.id == q.get("deadline_rule")), None)
        if found is None:
            q["deadline"] = None  # its rule left the policy: the question waits, untimed
        return found

    def _record(self, q: dict[str, Any], rule: DeadlineRule, detail: dict[str, Any]) -> None:
        self.timers.append(
            {
                "kind": "deadline",
                "rule_id": rule.id,
                "message": rule.message,
                "due": q["deadline"],
                "at": iso(self.at),
                "question_id": q["id"],
                "fallback": rule.fallback,
                **detail,
            }
        )

    def _answer(self, q: dict[str, Any], rule: DeadlineRule) -> None:
        given = {"text": rule.answer or "", "by": f"deadline:{rule.id}", "at": iso(self.at)}
        record = answer_record(q, given, at=iso(self.at)) or given  # text always answers
        if q["kind"] == "approval":
            self.approvals[q["id"]] = record
        self.answers[q["id"]] = record
        self.facts.update(rule.set)
        if rule.note:
            self.notes.append(
                {"at": iso(self.at), "step": q["step"], "kind": "deadline", "text": rule.note}
            )
        self._record(q, rule, {"answer": record["text"], "set": dict(rule.set), "note": rule.note})

    def _escalate(self, q: dict[str, Any], rule: DeadlineRule) -> dict[str, Any]:
        assert rule.escalate is not None  # the policy validates it
        fact = rule.escalate.fact
        if fact in self.escalated:  # another question due now moved it: one level per window
            was, level = self.escalated[fact]
            self._record(q, rule, {"fact": fact, "from": was, "to": level})
            return (
                with_deadline(self.ctx, q, self.facts, self.at)
                if level
                else {**q, "deadline": None}
            )
        was = self.facts.get(fact)
        level = rule.escalate.next_level(was)
        self.escalated[fact] = (was, level)
        if level is None:
            self._record(q, rule, {"fact": fact, "from": was, "to": None})
            return {**q, "deadline": None}  # nowhere to escalate: it waits, untimed
        self.facts[fact] = level
        if fact in self.outputs:
            self.outputs[fact] = level
        self._record(q, rule, {"fact": fact, "from": was, "to": level})
        return with_deadline(self.ctx, q, self.facts, self.at)

    def update(self) -> dict[str, Any]:
        """The state update: changed records, the timer log, notes and audit events."""
        return {
            "facts": self.facts,
            "outputs": self.outputs,
            "answers": self.answers,
            "approvals": self.approvals,
            "timers": self.timers,
            "scratchpad": self.notes,
        }


def expire(ctx: SkillContext, state: RunState) -> tuple[dict[str, Any], list[str]]:
    """Apply what is due at ``clock_at``: the state update, and why a ``block`` ends the run.

    The router calls it once after the ``ask`` tasks that time reached, so run-level
    work (reminders, a block) happens once. A question answered in that same
    superstep keeps its answer (whoever got there first wins); the others get their
    due fallbacks or keep waiting, an escalated one with its new deadline.
    """
    answered = state.get("answers", {})
    pending = [dict(q) for q in state.get("pending", [])]
    expiry = Expiry(ctx, state, parse_iso(str(state.get("clock_at"))))
    waiting = {q["id"]: q for q in expiry.apply([q for q in pending if q["id"] not in answered])}
    update = {
        **expiry.update(),
        "pending": [
            waiting.get(q["id"], q) for q in pending if q["id"] in answered or q["id"] in waiting
        ],
        "clock_at": None,
        "audit_log": events(*((t["kind"], t) for t in expiry.timers)),
    }
    return update, expiry.blocked
