"""Questions for humans: built from the skill's templates, with stable ids.

A question id is derived from what is asked (its source and the filled text),
so the same question gets the same id on every re-run of a step, which is how
a run never asks the same thing twice. Options are read off the template's own
alternatives ("SEV2 or SEV3?") so a UI can offer buttons; open questions have
none.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from agent.skill._slug import slugify
from agent.skill.model import Skill

QuestionKind = Literal["clarify", "approval"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAX_OPTION_WORDS = 3


def question_id(source: str, text: str) -> str:
    """A shell-safe slug of ``source`` (trigger or rule id) plus a hash of the normalized text.

    Normalizing (case, spacing, end punctuation) makes a model that rewords a question
    only in form ask it once; the slug keeps ids typeable in ``--answer QID=TEXT``.
    """
    normal = " ".join(text.lower().split()).rstrip("?.! ")
    digest = hashlib.sha256(normal.encode("utf-8")).hexdigest()[:8]
    return f"{slugify(source)[:48] or 'question'}-{digest}"


def fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` placeholders that have a value; leave the others visible."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def options_of(text: str) -> list[str]:
    """Short alternatives offered by the question's last sentence, or ``[]`` when open."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    if not sentences or not sentences[-1].endswith("?"):
        return []
    last = sentences[-1].rstrip("?").rsplit(":", 1)[-1].replace("`", "").strip()
    parts = [p.strip() for p in re.split(r",\s*or\s+|,\s*|\s+or\s+", last) if p.strip()]
    if len(parts) < 2:
        return []
    width = max(len(p.split()) for p in parts[1:])
    first = parts[0].split()
    parts[0] = " ".join(first[-width:])
    if any(len(p.split()) > _MAX_OPTION_WORDS for p in parts):
        return []
    return parts


def make_question(
    *, source: str, text: str, kind: QuestionKind, step: str, trigger: str | None
) -> dict[str, Any]:
    """The plain dict the ``ask`` interrupt carries and the transcript records."""
    options = ["approve", "reject"] if kind == "approval" else options_of(text)
    return {
        "id": question_id(source, text),
        "text": text,
        "trigger": trigger,
        "options": options,
        "kind": kind,
        "step": step,
    }


def clarify_question(skill: Skill, report: dict[str, Any], step: str) -> dict[str, Any]:
    """Turn a step's ambiguity report into a question from the skill's templates."""
    trigger = str(report.get("trigger") or "ambiguity")
    templates = {q.id: q for q in skill.ambiguity.questions}
    chosen = templates.get(str(report.get("template") or ""))
    if chosen is None:
        chosen = next((q for q in templates.values() if q.trigger_id == trigger), None)
    if chosen is not None:
        text = fill(chosen.text, {k: str(v) for k, v in dict(report.get("values") or {}).items()})
    else:
        trig = next((t for t in skill.ambiguity.triggers if t.id == trigger), None)
        text = str(report.get("question") or "") or (
            f"{trig.text}. How should I proceed?" if trig else f"Please clarify: {trigger}"
        )
    question = make_question(source=trigger, text=text, kind="clarify", step=step, trigger=trigger)
    return {**question, "template": chosen.id if chosen is not None else None}


_YES = frozenset({"approve", "approved", "yes", "y", "ok", "allow", "go", "go ahead"})


def normalize_answer(value: Any, *, at: str) -> dict[str, Any]:
    """A resume value (plain text or ``{text, by, at}``) as a full answer record."""
    if isinstance(value, dict):
        text = str(value.get("text", ""))
        record: dict[str, Any] = {
            "text": text,
            "by": str(value.get("by") or "human"),
            "at": str(value.get("at") or at),
        }
        if "approved" in value:
            record["approved"] = bool(value["approved"])
        if value.get("choice"):
            record["choice"] = str(value["choice"])
        return record
    return {"text": str(value), "by": "human", "at": at}


def is_approval(answer: dict[str, Any]) -> bool:
    """Only an explicit yes approves; anything else (including silence) is a refusal."""
    if "approved" in answer:
        return bool(answer["approved"])
    return str(answer.get("text", "")).strip().lower().rstrip(".!") in _YES
