"""Turn a run's checkpointed state into the versioned transcript document.

Secrets: the transcript leaves the machine (tickets, eval reports), so every
value in it passes :func:`agent.audit.redact`, the audit log's own
redaction; a bearer token or API key quoted in evidence, a tool result or a
model reply is exported as ``[redacted]``. Evidence reaches the run already
scrubbed (:mod:`agent._secrets`, applied as a bundle is read), and our own
credentials (the model API key, webhook URLs) never enter run state at all
(``tests/engine/test_secrets.py`` reads the database bytes to prove it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.audit import redact
from agent.engine.recipe import Recipe
from agent.engine.transcript import Transcript
from agent.graph.questions import action_outcomes, rejected_actions


def _ms(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except ValueError:
        return None  # not a timestamp we wrote; leave the timing out rather than guess
    return round(delta.total_seconds() * 1000, 3)


def accepted_attempts(values: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The step attempts the run accepted, and the one whose result still waits.

    An invoked skill's accepted attempts count as its invoking step's.
    """
    done = {
        a
        for r in values.get("results", {}).values()
        for a in [r.get("attempt"), *r.get("attempts", [])]
        if a
    }
    draft = values.get("draft") or {}
    return done, {draft["attempt"]} if draft.get("attempt") else set()


def build_transcript(
    thread_id: str,
    values: dict[str, Any],
    *,
    status: str,
    usage: dict[str, Any],
    include_scratchpad: bool = False,
    recipe: Recipe | None = None,
    failure: dict[str, Any] | None = None,
    effects: list[dict[str, Any]] | None = None,
) -> Transcript:
    """The transcript of one run; the scratchpad only when asked for explicitly.

    A run that failed before its first step still names its skill and model (from
    the recipe) and says what failed, so it can be read and scored.
    """
    log = list(values.get("audit_log", []))
    loaded: dict[str, Any] = next((e["data"] for e in log if e["kind"] == "skill_loaded"), {})
    if not loaded and recipe is not None:
        loaded = {"name": recipe.skill.name, "content_hash": recipe.skill.content_hash}
    asked_at = {e["data"]["id"]: e["at"] for e in log if e["kind"] == "question"}
    steps = [
        {k: v for k, v in entry.items() if k in _STEP_KEYS} for entry in values.get("steps_log", [])
    ]
    started = values.get("started_at")
    ended = log[-1]["at"] if log else None
    doc: dict[str, Any] = {
        "schema_version": "1",
        "thread_id": thread_id,
        "skill": {
            "name": loaded.get("name", ""),
            "version": loaded.get("version"),
            "content_hash": loaded.get("content_hash", ""),
        },
        "model": values.get("model") or (recipe.model_name or recipe.model or "" if recipe else ""),
        "status": status,
        "started_at": started,
        "ended_at": ended,
        "inputs": values.get("inputs", {}),
        "plan": values.get("plan", []),
        "steps": steps,
        "questions": [
            {**q, "asked_at": asked_at.get(q["id"])} for q in values.get("questions", [])
        ],
        "answers": [{"question_id": qid, **a} for qid, a in values.get("answers", {}).items()],
        "verdicts": values.get("verdicts", []),
        "actions": action_outcomes(values),
        "rejected_actions": rejected_actions(values),
        "effects": effects or [],
        "outputs": values.get("outputs", {}) if status == "completed" else {},
        "violations": values.get("violations", []),
        "audit_log": log,
        "usage": usage,
        "timings": {
            "total_ms": _ms(started, ended),
            "steps_ms": [
                {"id": s["id"], "ms": _ms(s.get("started_at"), s.get("ended_at"))} for s in steps
            ],
        },
    }
    if failure is not None:
        doc["failure"] = failure
    if include_scratchpad:
        doc["scratchpad"] = values.get("scratchpad", [])
    # the audit log is redacted when written, and its hashes cover exactly that text
    clean = redact({k: v for k, v in doc.items() if k != "audit_log"})
    return Transcript.model_validate({**clean, "audit_log": log})


_STEP_KEYS = frozenset(
    {
        "id",
        "mode",
        "goal",
        "started_at",
        "ended_at",
        "summary",
        "fields",
        "decisions",
        "messages",
        "tool_calls",
        "confidence",
        "structured_mode",
    }
)
