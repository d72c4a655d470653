"""Turn a run's checkpointed state into the versioned transcript document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.runtime.transcript import Transcript


def _ms(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except ValueError:
        return None  # not a timestamp we wrote; leave the timing out rather than guess
    return round(delta.total_seconds() * 1000, 3)


def build_transcript(
    thread_id: str,
    values: dict[str, Any],
    *,
    status: str,
    usage: dict[str, Any],
    include_scratchpad: bool = False,
) -> Transcript:
    """The transcript of one run; the scratchpad only when asked for explicitly."""
    log = list(values.get("audit_log", []))
    loaded: dict[str, Any] = next((e["data"] for e in log if e["kind"] == "skill_loaded"), {})
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
        "model": values.get("model", ""),
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
        "actions": values.get("actions", []),
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
    if include_scratchpad:
        doc["scratchpad"] = values.get("scratchpad", [])
    return Transcript.model_validate(doc)


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
    }
)
