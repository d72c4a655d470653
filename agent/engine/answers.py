"""Answers for a paused run: matched from prepared files, checked against what was asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.errors import UnknownQuestionError, UserError
from agent.graph.questions import choice_of, decision_of

Answer = str | dict[str, Any]
"""An answer as the run API takes it: the text, ``{text, by}`` saying who gave it, or for
an approval LangChain's HITL decisions payload ``{"decisions": [{"type": ...}], "by": ...}``."""

__all__ = ["Answer", "HITLResponse", "as_answer", "check_answers", "choice_of", "match_answers"]


class EditedAction(BaseModel):
    """The action a reviewer approves instead of the proposed one."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    args: dict[str, Any]


class HITLDecision(BaseModel):
    """One reviewer decision, as LangChain's human-in-the-loop middleware shapes it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["approve", "edit", "reject"]
    message: str | None = None
    edited_action: EditedAction | None = None


class HITLResponse(BaseModel):
    """An approval's answer as decisions (``{"decisions": [...]}``): the front doors take it."""

    model_config = ConfigDict(extra="forbid")

    decisions: list[HITLDecision] = Field(min_length=1, max_length=1)


def as_answer(value: str | HITLResponse, by: str) -> Answer:
    """A front door's answer recorded as given by ``by`` (the caller, whatever the body says)."""
    if isinstance(value, str):
        return {"text": value, "by": by}
    return {**value.model_dump(exclude_none=True), "by": by}


def match_answers(
    questions: list[dict[str, Any]], given: Mapping[str, Answer], done: set[str]
) -> dict[str, Answer]:
    """Answers for the pending questions not answered yet: by id, then trigger, then text."""
    matched: dict[str, Answer] = {}
    by_key = {" ".join(k.split()): v for k, v in given.items()}  # text as typed, any spacing
    for q in questions:
        keys = (q["id"], q.get("alias"), q.get("trigger"), " ".join(str(q["text"]).split()))
        found = next((by_key[k] for k in keys if k and k in by_key), None)
        if q["id"] not in done and found is not None:
            matched[q["id"]] = found
    return matched


def _text(answer: Answer) -> str:
    return str(answer.get("text", "")) if isinstance(answer, dict) else str(answer)


def _check_decisions(thread_id: str, q: Mapping[str, Any], answer: Mapping[str, Any]) -> None:
    """A decisions payload answers only an approval, with one well-formed decision."""
    name = q.get("alias", q["id"])
    if q.get("kind") != "approval":
        raise UserError(f"thread '{thread_id}': {name} is not an approval; answer it with text")
    if decision_of(answer) is None:
        raise UserError(
            f"thread '{thread_id}': the decisions for {name} must be one of "
            '{"type": "approve"}, {"type": "reject", "message": ...} or '
            '{"type": "edit", "edited_action": {"name": ..., "args": {...}}}'
        )


def check_answers(
    thread_id: str, questions: list[dict[str, Any]], answers: Mapping[str, Answer]
) -> dict[str, Answer]:
    """Answers keyed by question id, after checking each names a pending question and a choice.

    A question is named by its id or its alias (``q1``). A clarifying question with
    choices takes one of them; the answer records what was given and the choice it
    named. Approvals take any text or a HITL decisions payload; open questions any text.
    """
    by_name = {q["id"]: q for q in questions}
    by_name.update({q["alias"]: q for q in questions if q.get("alias")})
    pending = ", ".join(f"{q.get('alias', q['id'])} ({q['id']})" for q in questions)
    unknown = sorted(k for k in answers if k not in by_name)
    if unknown:
        raise UnknownQuestionError(
            f"thread '{thread_id}': unknown question id(s) {', '.join(unknown)}; pending: {pending}"
        )
    checked: dict[str, Answer] = {}
    for name, answer in answers.items():
        q = by_name[name]
        if isinstance(answer, dict) and "decisions" in answer:
            _check_decisions(thread_id, q, answer)
            checked[q["id"]] = answer
            continue
        options = list(q.get("options") or [])
        if q.get("kind") == "clarify" and options:
            chosen = choice_of(options, _text(answer))
            if chosen is None:
                raise UserError(
                    f"thread '{thread_id}': {_text(answer)!r} is not one of the choices for "
                    f"{q.get('alias', q['id'])}: {', '.join(options)}"
                )
            record = dict(answer) if isinstance(answer, dict) else {"text": _text(answer)}
            answer = {**record, "choice": chosen}
        checked[q["id"]] = answer
    return checked
