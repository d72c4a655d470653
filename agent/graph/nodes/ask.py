"""The human interrupt: every pending question in one ``interrupt()``.

The node does nothing before ``interrupt()``, so re-running it on resume is
free. The resume value maps question ids to answers (plain text or
``{text, by, at}``); questions left unanswered stay pending and are asked again.
A resume value ``{CLOCK_KEY: iso}`` instead says that time passed: the due
deadline fallbacks and reminders are applied at that instant (``timers``).
"""

from __future__ import annotations

from typing import Any

from langgraph.types import Command, interrupt

from agent.graph._context import SkillContext, events, now, parse_iso
from agent.graph.nodes.router import blocked
from agent.graph.questions import is_approval, normalize_answer
from agent.graph.state import RunState
from agent.graph.timers import CLOCK_KEY, Expiry


def _time_passed(
    ctx: SkillContext, state: RunState, pending: list[dict[str, Any]], at: str
) -> Command[str]:
    """Apply what is due at ``at``; a ``block`` fallback ends the run with its reason."""
    expiry = Expiry(ctx, state, parse_iso(at))
    still = expiry.apply(pending)
    update = {
        **expiry.update(),
        "pending": still,
        "audit_log": events(*((t["kind"], t) for t in expiry.timers)),
    }
    if expiry.blocked:
        return blocked(expiry.blocked, [], **{**update, "pending": []})
    return Command(goto="router", update=update)


def make_ask(ctx: SkillContext) -> Any:
    """Node factory: pause for answers, then record them everywhere they belong."""

    def ask(state: RunState) -> Command[str]:
        pending: list[dict[str, Any]] = [dict(q) for q in state.get("pending", [])]
        reply = interrupt({"questions": pending, "skill": ctx.skill.name})
        given = reply if isinstance(reply, dict) else {}
        if isinstance(given.get(CLOCK_KEY), str):
            return _time_passed(ctx, state, pending, given[CLOCK_KEY])
        answers: dict[str, Any] = dict(state.get("answers", {}))
        approvals: dict[str, Any] = dict(state.get("approvals", {}))
        notes: list[dict[str, Any]] = []
        logged: list[tuple[str, dict[str, Any]]] = []
        still: list[dict[str, Any]] = []
        at = now()
        for q in pending:
            if q["id"] not in given:
                still.append(q)
                continue
            record = normalize_answer(given[q["id"]], at=at)
            if q["kind"] == "approval":
                record["approved"] = is_approval(record)
                approvals[q["id"]] = record
            answers[q["id"]] = record
            logged.append(("answer", {"question_id": q["id"], **record}))
            notes.append(
                {
                    "at": at,
                    "step": q["step"],
                    "kind": "answer",
                    "text": f"{q['id']}: {record['text']} ({record['by']})",
                }
            )
        return Command(
            goto="router",
            update={
                "pending": still,
                "answers": answers,
                "approvals": approvals,
                "scratchpad": notes,
                "audit_log": events(*logged),
            },
        )

    return ask
