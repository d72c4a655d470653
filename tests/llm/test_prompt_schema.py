"""The schema a prompt states is a compact type: json_object servers get it on every call."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field

from agent.llm._schema_text import type_text
from agent.llm._structured import prompt_schema, schema_instruction


class Item(BaseModel):
    title: str
    owner: str | None = Field(default=None, description="Who files it.")


class Report(BaseModel):
    items: list[Item]
    note: str = ""


class Node(BaseModel):
    name: str
    children: list[Node] = []


def test_a_model_is_stated_as_a_type_with_optional_keys_marked() -> None:
    assert prompt_schema(Report) == (
        "{\n"
        "  items: {\n"
        "    title: string,\n"
        "    owner?: string, // Who files it.\n"
        "  }[],\n"
        "  note?: string,\n"
        "}"
    )


def test_generated_titles_and_null_options_are_left_out() -> None:
    text = prompt_schema(Report)
    assert "Title" not in text
    assert "null" not in text
    assert "Item" not in text  # the definition is written out where it is used


def test_the_statement_costs_well_under_the_json_schema() -> None:
    text = schema_instruction(Report, "json_object")["content"]
    assert text.endswith(prompt_schema(Report))
    assert len(prompt_schema(Report)) < len(json.dumps(Report.model_json_schema())) * 0.4


def test_choices_are_a_union_of_literals() -> None:
    class Verdict(BaseModel):
        outcome: Literal["allow", "block"]
        tags: list[Literal["a", "b"]] = []

    assert prompt_schema(Verdict) == '{outcome: "allow" | "block", tags?: ("a" | "b")[]}'


def test_a_model_that_contains_itself_is_named_and_written_out_once() -> None:
    text = prompt_schema(Node)
    assert text == (
        "{name: string, children?: Node[]}\n\ntype Node = {name: string, children?: Node[]}"
    )


def test_bounds_a_type_cannot_show_go_in_the_comment() -> None:
    class Scored(BaseModel):
        confidence: float = Field(ge=0, le=1, description="How sure.")

    assert "confidence: number, // How sure.; minimum 0; maximum 1" in prompt_schema(Scored)


def test_open_objects_and_maps_say_which_keys_they_take() -> None:
    schema = {
        "type": "object",
        "properties": {
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "extra": {"type": "object", "additionalProperties": True},
            "odd key": {"type": ["string", "integer"]},
        },
        "required": ["odd key"],
    }
    assert type_text(schema) == (
        '{labels?: {[key: string]: string}, extra?: object, "odd key": string | integer}'
    )


def test_a_schema_without_a_type_is_any() -> None:
    assert type_text({"properties": {"value": {"description": "Anything."}}}) == (
        "{\n  value?: any, // Anything.\n}"
    )


class Cited(BaseModel):
    rule: Literal["deploy-spike", "no-deploy", "dns-fault"]
    outcome: Literal["allow", "block"]


def test_choices_the_request_already_lists_are_not_spelt_out_twice() -> None:
    request = [{"role": "user", "content": "- [deploy-spike] …\n- [no-deploy] …\n- [dns-fault] …"}]
    text = schema_instruction(Cited, "json_object", request)["content"]
    assert "rule: string /* one of the 3 ids the request lists */" in text
    assert '"deploy-spike"' not in text


def test_choices_are_spelt_out_when_the_request_misses_one_or_they_are_few() -> None:
    request = [{"role": "user", "content": "deploy-spike no-deploy allow block"}]
    text = prompt_schema(Cited, request[0]["content"])
    assert 'rule: "deploy-spike" | "no-deploy" | "dns-fault"' in text
    assert 'outcome: "allow" | "block"' in text
