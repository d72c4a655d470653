"""Answers for a paused run: matched from prepared files, checked against what was asked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agent.errors import UnknownQuestionError, UserError

Answer = str | dict[str, str]
"""An answer as the run API takes it: the text, or ``{text, by}`` saying who gave it."""


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


def choice_of(options: list[str], text: str) -> str | None:
    """The option ``text`` names: case-insensitive, a unique prefix, or the option then reasons.

    ``SEV2 — payments are down`` names ``SEV2``; ``sev`` names nothing when two options
    start with it.
    """
    given = text.strip().lower()
    exact = [o for o in options if o.lower() == given]
    if exact:
        return exact[0]
    leading = [o for o in options if re.match(re.escape(o.lower()) + r"(\W|$)", given)]
    if len(leading) == 1:
        return leading[0]
    prefix = [o for o in options if given and o.lower().startswith(given)]
    return prefix[0] if len(prefix) == 1 else None


def check_answers(
    thread_id: str, questions: list[dict[str, Any]], answers: Mapping[str, Answer]
) -> dict[str, Answer]:
    """Answers keyed by question id, after checking each names a pending question and a choice.

    A question is named by its id or its alias (``q1``). A clarifying question with
    choices takes one of them; the answer records what was given and the choice it
    named. Approvals and open questions take any text.
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
