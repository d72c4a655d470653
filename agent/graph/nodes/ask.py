"""The human interrupt: one ``ask`` task per pending question, each its own interrupt.

The router and the guard fan the pending questions out with ``Send("ask", question)``,
so several questions wait at once as separate interrupts, each answered by its
interrupt id (``Command(resume={interrupt_id: value})``); answering some leaves the
others waiting. The node does nothing before ``interrupt()``, so re-running it on
resume is free. Payload and resume values are documented in
:mod:`agent.graph.questions`; a value that answers nothing (a malformed decisions
payload) leaves the question pending, and the router asks it again. The value
``{CLOCK_KEY: iso}`` says that time passed instead: the task writes the instant to
``clock_at`` and the router applies what is due then, once (:func:`timers.expire`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.types import Command, interrupt

from agent.graph._context import SkillContext, events, now
from agent.graph.questions import answer_record, interrupt_value, response_schema
from agent.graph.timers import CLOCK_KEY


def _said(question: dict[str, Any], record: dict[str, Any]) -> str:
    """The scratchpad line for an answer: what was decided and by whom."""
    what = record["text"]
    if record.get("decision") == "edit":
        what = f"edit → {record['edited_action']['name']} {record['edited_action']['args']}"
    return f"{question['id']}: {what} ({record['by']})"


def make_ask(ctx: SkillContext) -> Any:
    """Node factory: pause for one question's answer, then record it where it belongs."""

    def ask(question: dict[str, Any]) -> Command[str]:
        reply = interrupt(
            interrupt_value(question, ctx.skill.name), response_schema=response_schema(question)
        )
        if isinstance(reply, Mapping) and isinstance(reply.get(CLOCK_KEY), str):
            return Command(goto="router", update={"clock_at": reply[CLOCK_KEY]})
        at = now()
        record = answer_record(question, reply, at=at)
        if record is None:
            return Command(goto="router")
        qid = question["id"]
        update: dict[str, Any] = {
            "answers": {qid: record},
            "scratchpad": [
                {
                    "at": at,
                    "step": question["step"],
                    "kind": "answer",
                    "text": _said(question, record),
                }
            ],
            "audit_log": events(("answer", {"question_id": qid, **record})),
        }
        if question["kind"] == "approval":
            update["approvals"] = {qid: record}
        return Command(goto="router", update=update)

    return ask
