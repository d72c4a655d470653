"""The audit log is a hash chain: any edit, removal or reordering is detected."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from agent.audit import GENESIS_HASH, AuditEvent, append_event, verify_chain


def log_of(n: int = 4) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    append_event(events, "skill_loaded", {"name": "incident-response", "version": "1.0.0"})
    for i in range(1, n - 1):
        append_event(events, "step_start", {"step": f"s{i}"}, at=f"2026-11-26T10:0{i}:00.000Z")
    append_event(events, "status", {"status": "completed"})
    return events


def test_append_adds_the_event_in_place_and_returns_it() -> None:
    events: list[dict[str, Any]] = []
    event = append_event(events, "plan", {"steps": ["a"]})
    assert events == [event]
    assert AuditEvent.model_validate(event).kind == "plan"


def test_events_link_to_their_predecessor_from_genesis() -> None:
    events = log_of()
    assert events[0]["prev_hash"] == GENESIS_HASH
    assert [e["prev_hash"] for e in events[1:]] == [e["hash"] for e in events[:-1]]
    assert [e["seq"] for e in events] == list(range(len(events)))


def test_hash_is_sha256_of_the_canonical_event_json() -> None:
    event = append_event([], "answer", {"text": "SEV2", "by": "dana"}, at="2026-11-26T10:00:00Z")
    canonical = json.dumps(
        [0, "2026-11-26T10:00:00Z", "answer", {"by": "dana", "text": "SEV2"}, GENESIS_HASH],
        separators=(",", ":"),
    )
    assert event["hash"] == hashlib.sha256(canonical.encode()).hexdigest()


def test_timestamps_default_to_utc_iso() -> None:
    event = append_event([], "status", {})
    assert event["at"].endswith("Z")
    assert "T" in event["at"]


def test_intact_chain_has_no_problems() -> None:
    assert verify_chain(log_of()) == []


def test_empty_log_is_intact() -> None:
    assert verify_chain([]) == []


def test_edited_event_data_is_detected() -> None:
    events = log_of()
    events[1]["data"]["step"] = "something else"
    problems = verify_chain(events)
    assert len(problems) == 1
    assert "#1" in problems[0]
    assert "edited" in problems[0]


def test_edited_event_with_recomputed_hash_breaks_the_next_link() -> None:
    events = log_of()
    forged = copy.deepcopy(events[:1])
    append_event(forged, events[1]["kind"], {"step": "forged"}, at=events[1]["at"])
    events[1] = forged[1]
    problems = verify_chain(events)
    assert any("#2" in p and "prev_hash" in p for p in problems)


def test_removed_event_is_detected() -> None:
    events = log_of()
    del events[1]
    assert verify_chain(events) != []


def test_reordered_events_are_detected() -> None:
    events = log_of()
    events[1], events[2] = events[2], events[1]
    problems = verify_chain(events)
    assert any("reordered" in p for p in problems)


def test_malformed_event_is_reported_not_raised() -> None:
    events = log_of()
    del events[2]["hash"]
    assert any("#2" in p for p in verify_chain(events))


def test_chain_survives_a_checkpoint_round_trip() -> None:
    events: list[dict[str, Any]] = []
    append_event(events, "plan", {"steps": ("a", "b"), "n": 1.5, "none": None})
    serde = JsonPlusSerializer()
    restored = serde.loads_typed(serde.dumps_typed(events))
    assert verify_chain(restored) == []


def test_secrets_never_reach_the_log() -> None:
    data = {
        "config": {"api_key": "abc123", "OPENAI_API_KEY": "x", "password": "hunter2"},
        "note": "called with Bearer eyJhbGciOiJIUzI1NiJ9.payload and sk-proj0123456789abcdefXYZ",
        "usage": {"prompt_tokens": 12},
    }
    event = append_event([], "step_end", data)
    text = json.dumps(event)
    for secret in ("abc123", "hunter2", "eyJhbGciOiJIUzI1NiJ9", "sk-proj0123456789abcdefXYZ"):
        assert secret not in text
    assert event["data"]["usage"] == {"prompt_tokens": 12}
    assert verify_chain([event]) == []
