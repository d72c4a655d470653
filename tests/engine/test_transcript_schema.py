"""The published transcript schema matches the model, and the model keeps its contract."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from agent.audit import append_event
from agent.engine.transcript import (
    TRANSCRIPT_SCHEMA_PATH,
    Transcript,
    render_schema,
    transcript_json_schema,
)


def document(**over: Any) -> dict[str, Any]:
    """A small but complete transcript of a finished run."""
    log: list[dict[str, Any]] = []
    append_event(log, "skill_loaded", {"name": "incident-response", "version": "1.0.0"})
    append_event(log, "status", {"status": "completed"})
    doc: dict[str, Any] = {
        "schema_version": "1",
        "thread_id": "t-1",
        "skill": {"name": "incident-response", "version": "1.0.0", "content_hash": "ab" * 32},
        "model": "scripted",
        "status": "completed",
        "started_at": "2026-11-26T10:00:00.000Z",
        "ended_at": "2026-11-26T10:00:01.000Z",
        "inputs": {"alert": "checkout 5xx"},
        "plan": [{"id": "triage", "goal": "find it", "mode": "power", "reason": ""}],
        "steps": [
            {
                "id": "triage",
                "mode": "power",
                "goal": "find it",
                "summary": "config change",
                "fields": {"failing_component": "checkout"},
                "decisions": [{"rule_id": "most-recent-deploy", "rationale": "deploy at 10:01"}],
                "messages": [{"role": "user", "content": "go"}],
                "tool_calls": [{"id": "c1", "name": "logs", "args": {}, "result": "ok"}],
                "confidence": 0.8,
            }
        ],
        "questions": [
            {"id": "q1", "text": "SEV2 or SEV3?", "options": ["SEV2", "SEV3"], "kind": "clarify"}
        ],
        "answers": [{"question_id": "q1", "text": "SEV2", "by": "dana", "at": "2026-11-26T10:00Z"}],
        "verdicts": [
            {
                "rule_id": "judge:no-blame",
                "guardrail_id": "no-blame",
                "line": 140,
                "outcome": "allow",
                "message": "ok",
                "tier": "judge",
            }
        ],
        "actions": [{"id": "mitigate:0:rollback", "type": "rollback", "step": "mitigate"}],
        "outputs": {"severity": "SEV2"},
        "audit_log": log,
        "usage": {"total": {"prompt_tokens": 3, "completion_tokens": 2, "calls": 1}},
        "timings": {"total_ms": 1000.0, "steps_ms": [{"id": "triage", "ms": 12.5}]},
    }
    doc.update(over)
    return doc


def test_committed_schema_equals_the_generated_one() -> None:
    committed = TRANSCRIPT_SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == render_schema(), "run: python -m agent.engine.transcript"


def test_schema_is_versioned_and_closed_at_the_top() -> None:
    schema = transcript_json_schema()
    assert schema["properties"]["schema_version"]["const"] == "1"
    assert schema["additionalProperties"] is False
    assert {"thread_id", "skill", "status"} <= set(schema["required"])


def test_complete_document_round_trips_through_json() -> None:
    transcript = Transcript.model_validate(document())
    again = Transcript.model_validate_json(transcript.model_dump_json())
    assert again == transcript


def test_scratchpad_is_absent_unless_asked_for() -> None:
    assert Transcript.model_validate(document()).scratchpad is None
    notes = [{"step": "triage", "kind": "note", "text": "private"}]
    assert Transcript.model_validate(document(scratchpad=notes)).scratchpad == notes


@pytest.mark.parametrize(
    "over",
    [
        {"schema_version": "2"},
        {"unknown_top_level": 1},
        {"status": "exploded"},
        {
            "verdicts": [
                {
                    "rule_id": "r",
                    "guardrail_id": "g",
                    "outcome": "maybe",
                    "message": "m",
                    "tier": "rule",
                }
            ]
        },
        {"audit_log": [{"seq": 0, "kind": "status"}]},
    ],
    ids=["version", "unknown-key", "status", "verdict-outcome", "audit-event"],
)
def test_documents_breaking_the_contract_are_rejected(over: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Transcript.model_validate(document(**over))


def test_nested_records_tolerate_added_fields() -> None:
    doc = document()
    doc["steps"][0]["attempt"] = 2
    assert Transcript.model_validate(doc).steps[0].model_extra == {"attempt": 2}


def test_schema_file_is_valid_json_with_every_top_level_field() -> None:
    schema = json.loads(TRANSCRIPT_SCHEMA_PATH.read_text(encoding="utf-8"))
    assert set(schema["properties"]) == set(Transcript.model_fields)
