"""The schema a prompt states is lean: it costs tokens on every call of a json_object server."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from agent.llm._structured import prompt_schema, schema_instruction


class Item(BaseModel):
    title: str
    owner: str | None = Field(default=None, description="Who files it.")


class Report(BaseModel):
    items: list[Item]
    note: str = ""


def test_generated_titles_and_null_options_are_left_out() -> None:
    lean = json.loads(prompt_schema(Report))
    item = lean["$defs"]["Item"]
    assert "title" not in lean
    assert "title" not in item
    assert item["properties"]["title"] == {"type": "string"}  # a field named title stays
    assert item["properties"]["owner"] == {"type": "string", "description": "Who files it."}
    assert item["required"] == ["title"]
    assert lean["properties"]["note"] == {"default": "", "type": "string"}


def test_the_prompt_states_the_lean_schema_compactly() -> None:
    text = schema_instruction(Report, "json_object")["content"]
    assert text.endswith(prompt_schema(Report))
    assert ": " not in prompt_schema(Report)
    assert len(prompt_schema(Report)) < len(json.dumps(Report.model_json_schema())) * 0.7
