"""The last resort after repairs: leave out what breaks the schema where it may be absent."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from agent.llm._structured import salvage_reply


class Timeline(BaseModel):
    start: str
    events: list[str] = []


class Fields(BaseModel):
    severity: str | None = None
    timeline: Timeline | None = None
    tags: list[str] | None = None
    must: str


class Result(BaseModel):
    summary: str
    confidence: float = 0.5
    fields: Fields


def test_a_wrongly_typed_optional_field_is_left_out_with_its_value() -> None:
    raw = '{"summary": "s", "fields": {"must": "m", "severity": {"level": 1}}}'
    salvaged = salvage_reply(Result, raw, ("fields",))
    assert salvaged is not None
    output, dropped = salvaged
    assert output.fields == Fields(must="m")
    assert [(d.path, d.value) for d in dropped] == [("fields.severity", {"level": 1})]


def test_a_bad_list_item_drops_the_optional_list_that_holds_it() -> None:
    raw = '{"summary": "s", "fields": {"must": "m", "tags": ["a", {"b": 1}]}}'
    salvaged = salvage_reply(Result, raw, ("fields",))
    assert salvaged is not None
    assert salvaged[0].fields.tags is None
    assert [d.path for d in salvaged[1]] == ["fields.tags"]


def test_the_innermost_optional_value_goes_not_its_whole_parent() -> None:
    raw = '{"summary": "s", "fields": {"must": "m", "timeline": {"start": "t", "events": 3}}}'
    salvaged = salvage_reply(Result, raw, ("fields",))
    assert salvaged is not None
    assert salvaged[0].fields.timeline == Timeline(start="t")
    assert [d.path for d in salvaged[1]] == ["fields.timeline.events"]


def test_several_bad_values_are_all_left_out() -> None:
    raw = '{"summary": "s", "fields": {"must": "m", "severity": 1, "tags": 2}}'
    salvaged = salvage_reply(Result, raw, ("fields",))
    assert salvaged is not None
    assert sorted(d.path for d in salvaged[1]) == ["fields.severity", "fields.tags"]


def test_a_required_value_is_never_dropped() -> None:
    raw = '{"summary": "s", "fields": {"must": {"x": 1}}}'
    assert salvage_reply(Result, raw, ("fields",)) is None


def test_a_required_nested_value_does_not_drop_its_optional_parent_silently() -> None:
    # timeline.start is required, timeline itself is optional: the timeline goes, whole
    raw = '{"summary": "s", "fields": {"must": "m", "timeline": {"start": 5}}}'
    salvaged = salvage_reply(Result, raw, ("fields",))
    assert salvaged is not None
    assert salvaged[0].fields.timeline is None
    assert [(d.path, d.value) for d in salvaged[1]] == [("fields.timeline", {"start": 5})]


def test_values_outside_the_named_keys_are_kept_as_errors() -> None:
    raw = '{"summary": "s", "confidence": "high", "fields": {"must": "m"}}'
    assert salvage_reply(Result, raw, ("fields",)) is None


def test_the_named_key_itself_is_never_dropped() -> None:
    raw: Any = '{"summary": "s", "fields": "none"}'
    assert salvage_reply(Result, raw, ("fields",)) is None


def test_a_reply_that_is_not_json_cannot_be_salvaged() -> None:
    assert salvage_reply(Result, '{"summary": "s", "fields": {', ("fields",)) is None
