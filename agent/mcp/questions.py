"""A paused run's questions as MCP elicitation forms, and the forms' answers as engine answers.

One form per question, flat as the spec requires: ``answer`` is a string, or an
enum of the question's choices (approvals are ``approve``/``reject``); a
clarification also takes an optional ``note`` saying why (the engine records
``SEV2 — <note>``). The form's key
names the thread and the question, so an answer that comes back after the
sealed request state expired still says which run it was for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent.engine.answers import Answer

APPROVAL_CHOICES = ("approve", "reject")
_KEY_SEP = "/"


def choices(question: Mapping[str, Any]) -> list[str]:
    """The values a question takes: its options, approve/reject for approvals, [] when open."""
    if question.get("kind") == "approval":
        return list(question.get("options") or APPROVAL_CHOICES)
    return [str(o) for o in question.get("options") or []]


def form_schema(question: Mapping[str, Any]) -> dict[str, Any]:
    """The flat requested schema for one question (an ``answer`` plus an optional ``note``)."""
    answer: dict[str, Any] = {"type": "string", "title": "Answer"}
    options = choices(question)
    if options:
        answer["enum"] = options
    properties: dict[str, Any] = {"answer": answer}
    if question.get("kind") != "approval":
        # An approval's answer must be exactly approve/reject; a clarification may say why.
        properties["note"] = {
            "type": "string",
            "title": "Note",
            "description": "why (optional): recorded with the answer in the audit log",
        }
    return {"type": "object", "properties": properties, "required": ["answer"]}


def form_message(question: Mapping[str, Any], skill: str | None = None) -> str:
    """What the client shows the human: the question, whose run asks it, and the choices."""
    where = f" ({skill}, step {question.get('step')})" if question.get("step") else ""
    kind = "Approval needed" if question.get("kind") == "approval" else "Question"
    options = choices(question)
    tail = f" Choices: {', '.join(options)}." if options else ""
    if question.get("deadline"):
        tail += f" Answer by {question['deadline']}."
    return f"{kind}{where}: {question['text']}{tail}"


def form_key(thread_id: str, question_id: str) -> str:
    """The input-request key for a question: ``<thread id>/<question id>``."""
    return f"{thread_id}{_KEY_SEP}{question_id}"


def split_key(key: str) -> tuple[str, str] | None:
    """The (thread id, question id) a form key names, or None for a key we did not mint."""
    thread_id, sep, question_id = key.partition(_KEY_SEP)
    return (thread_id, question_id) if sep and thread_id and question_id else None


def answer_from_form(content: Mapping[str, Any] | None, by: str) -> Answer | None:
    """The engine answer for an accepted form, recording who gave it; None when it is empty."""
    if not content:
        return None
    text = str(content.get("answer", "")).strip()
    if not text:
        return None
    note = str(content.get("note", "") or "").strip()
    return {"text": f"{text} — {note}" if note else text, "by": by}
