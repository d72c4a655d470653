"""Questions for humans: built from the skill's templates, with stable ids, asked as interrupts.

A question id is derived from what is asked (its source and the filled text),
so the same question gets the same id on every re-run of a step, which is how
a run never asks the same thing twice. Options are read off the template's own
alternatives ("SEV2 or SEV3?") so a UI can offer buttons; open questions have
none.

Each pending question is its own LangGraph interrupt (one ``ask`` task per
question), resumable by interrupt id: ``Command(resume={interrupt_id: value})``.
The interrupt's value is the question record (``id``, ``alias``, ``text``,
``options`` — the choices —, ``trigger``, ``kind``, ``step``) plus ``skill``; an
approval adds LangChain's ``HITLRequest`` keys (``action_requests``,
``review_configs``) so Agent Chat UI renders it. The interrupt's
``response_schema`` says what a resume value may be: plain text, ``{text, by, at}``,
and for approvals also the HITL decisions payload
``{"decisions": [{"type": "approve" | "edit" | "reject", ...}]}``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Literal

from agent.skill._slug import slugify
from agent.skill.model import Skill

QuestionKind = Literal["clarify", "approval"]
DECISIONS = ("approve", "edit", "reject")
"""What a reviewer may decide on an approval (LangChain HITL decision types)."""
_HITL_KEYS = frozenset({"skill", "action_requests", "review_configs"})
_ACTION_META = frozenset({"id", "type", "step"})

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


def action_args(action: Mapping[str, Any]) -> dict[str, Any]:
    """An action's arguments: everything but its id, type and step."""
    return {k: v for k, v in action.items() if k not in _ACTION_META}


def hitl_request(question: Mapping[str, Any]) -> dict[str, Any]:
    """An approval question as LangChain's ``HITLRequest`` (what Agent Chat UI renders)."""
    action = dict(question.get("action") or {})
    name = str(action.get("type") or question.get("rule") or question["id"])
    return {
        "action_requests": [
            {"name": name, "args": action_args(action), "description": question["text"]}
        ],
        "review_configs": [{"action_name": name, "allowed_decisions": list(DECISIONS)}],
    }


def interrupt_value(question: Mapping[str, Any], skill: str) -> dict[str, Any]:
    """What one question's interrupt carries: the question record, its skill, HITL keys."""
    value = {**question, "skill": skill}
    if question.get("kind") == "approval":
        value.update(hitl_request(question))
    return value


LEGACY_PAUSE = (
    "was paused by a skillweave from before one interrupt per question (all its "
    "questions in one interrupt), which this version cannot answer or resume: finish it "
    "with the skillweave that started it, or start it again"
)
"""What a run paused in the old format is told (it says what to do, not only what is wrong)."""


def is_legacy_pause(value: Any) -> bool:
    """Whether an interrupt's value is the old all-questions-at-once form."""
    return isinstance(value, Mapping) and isinstance(value.get("questions"), list)


def question_of(value: Any) -> dict[str, Any] | None:
    """The question record inside an interrupt's value, or None for another interrupt."""
    if not isinstance(value, Mapping) or "id" not in value or "kind" not in value:
        return None
    return {k: v for k, v in value.items() if k not in _HITL_KEYS}


_TEXT_ANSWER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "by": {"type": "string", "description": "who answers"},
        "at": {"type": "string", "format": "date-time"},
    },
    "required": ["text"],
}
_DECISIONS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "decisions": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "type": {"enum": list(DECISIONS)},
                    "message": {"type": "string"},
                    "edited_action": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "args": {"type": "object"}},
                        "required": ["name", "args"],
                    },
                },
                "required": ["type"],
            },
        },
        "by": {"type": "string", "description": "who decides"},
    },
    "required": ["decisions"],
}


def response_schema(question: Mapping[str, Any]) -> dict[str, Any]:
    """JSON Schema of the values that answer ``question`` (the interrupt's ``response_schema``)."""
    text: dict[str, Any] = {"type": "string"}
    if question.get("kind") == "approval":
        return {"anyOf": [_DECISIONS, text, _TEXT_ANSWER]}
    if question.get("options"):
        text["examples"] = list(question["options"])
    return {"anyOf": [text, _TEXT_ANSWER]}


def decision_of(value: Any) -> dict[str, Any] | None:
    """The one HITL decision in a ``{"decisions": [...]}`` payload, or None when malformed."""
    decisions = value.get("decisions") if isinstance(value, Mapping) else None
    if not isinstance(decisions, list) or len(decisions) != 1:
        return None
    decision = decisions[0]
    if not isinstance(decision, Mapping) or decision.get("type") not in DECISIONS:
        return None
    if decision["type"] == "edit":
        edited = decision.get("edited_action")
        if not isinstance(edited, Mapping) or not isinstance(edited.get("args"), Mapping):
            return None
        if not str(edited.get("name") or "").strip():
            return None
    return dict(decision)


def _decision_record(
    value: Mapping[str, Any], decision: Mapping[str, Any], at: str
) -> dict[str, Any]:
    kind = str(decision["type"])
    message = str(decision.get("message") or "")
    record: dict[str, Any] = {
        "text": message or kind,
        "by": str(value.get("by") or "human"),
        "at": str(value.get("at") or at),
        "decision": kind,
        # An edit approves the edited action only, once the policy re-checked it.
        "approved": kind == "approve",
    }
    if message:
        record["message"] = message
    if kind == "edit":
        edited = decision["edited_action"]
        record["edited_action"] = {"name": str(edited["name"]), "args": dict(edited["args"])}
    return record


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


def answer_record(question: Mapping[str, Any], value: Any, *, at: str) -> dict[str, Any] | None:
    """The answer record a resume value gives ``question``; None when it answers nothing.

    Approvals take a HITL decisions payload as well as text; a clarification with
    choices records the choice its text names.
    """
    if isinstance(value, Mapping) and "decisions" in value:
        decision = decision_of(value)
        if decision is None or question.get("kind") != "approval":
            return None
        return _decision_record(value, decision, at)
    record = normalize_answer(value, at=at)
    if question.get("kind") == "approval":
        record["approved"] = is_approval(record)
        record["decision"] = "approve" if record["approved"] else "reject"
    elif question.get("options") and "choice" not in record:
        chosen = choice_of(list(question["options"]), record["text"])
        if chosen is not None:
            record["choice"] = chosen
    return record


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


def approval_for(action_id: str, approvals: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The approval question id and answer recorded for the action ``action_id``, if any.

    An approval's id is ``RULE:ACTION_ID:DIGEST`` (:func:`agent.graph.rules.approval_id`),
    so the action's id stands between colons in it.
    """
    key = f":{action_id}:"
    return next(((qid, a) for qid, a in approvals.items() if key in f":{qid}:"), None)


def action_outcomes(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The run's accepted actions, each with what a human decided about it.

    ``status`` is ``approved`` or ``rejected`` when an approval was answered, else
    ``recorded`` (no approval was asked); ``decided_by`` says who answered.
    """
    approvals: Mapping[str, Any] = values.get("approvals", {})
    outcomes = []
    for action in values.get("actions", []):
        found = approval_for(str(action.get("id", "")), approvals)
        answer = found[1] if found is not None else None
        status = (
            "recorded"
            if answer is None
            else "approved"
            if answer.get("approved") is True
            else "rejected"
        )
        by = {"decided_by": str(answer.get("by") or "someone")} if answer is not None else {}
        outcomes.append({**action, "status": status, **by})
    return outcomes


def rejected_actions(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Actions a reviewer rejected that are no longer among the run's actions.

    A rejection sends the step back, and its revised result no longer proposes the
    action, so the run's ``actions`` forget it; whoever reads the run must still see
    that it was proposed and refused, and by whom. Each is the action as proposed,
    with ``rejected_by`` and, when the reviewer gave one, ``reason``.
    """
    current = {str(a.get("id")) for a in values.get("actions", [])}
    approvals: Mapping[str, Any] = values.get("approvals", {})
    refused = []
    for question in values.get("questions", []):
        action, answer = question.get("action"), approvals.get(str(question.get("id")))
        if question.get("kind") != "approval" or not action or not answer:
            continue
        if answer.get("approved") or answer.get("decision", "reject") != "reject":
            continue
        if str(action.get("id")) in current:
            continue
        reason = {"reason": str(answer["message"])} if answer.get("message") else {}
        refused.append({**action, "rejected_by": str(answer.get("by") or "someone"), **reason})
    return refused
