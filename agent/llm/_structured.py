"""Structured output: ask for a pydantic schema, validate the reply, show the model its mistakes.

Servers differ: OpenAI takes a strict ``json_schema`` response format, many
OpenAI-compatible servers only ``json_object``, some neither. We start strict and
step down a mode when a server rejects ``response_format`` (HTTP 400 naming it);
the weaker modes carry the schema in the prompt instead.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, ValidationError

from agent.llm.base import Message, T

Mode = Literal["json_schema", "json_object", "prompt"]
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "prompt")


def response_format(schema: type[BaseModel], mode: Mode) -> dict[str, Any] | None:
    """The ``response_format`` parameter for ``mode`` (None when the server takes none)."""
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {
                "name": schema.__name__,
                "schema": to_strict_json_schema(schema),
                "strict": True,
            },
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def schema_instruction(schema: type[BaseModel]) -> Message:
    """A system message stating the schema, for modes where the server does not enforce it."""
    text = json.dumps(schema.model_json_schema(), ensure_ascii=False)
    return {
        "role": "system",
        "content": "Reply with one JSON object and nothing else. "
        f"It must validate against this JSON schema: {text}",
    }


def names_response_format(body: str) -> bool:
    """Whether a 400 body blames the structured-output parameters (so a weaker mode may work)."""
    lowered = body.lower()
    return "response_format" in lowered or "json_schema" in lowered


def _strip_fence(text: str) -> str:
    # weaker modes often wrap JSON in a markdown fence; strict mode never does
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    return stripped.strip()


def validate_reply(schema: type[T], raw: str) -> tuple[T | None, str]:
    """The validated output, or None and a short error the model can act on."""
    try:
        return schema.model_validate_json(_strip_fence(raw)), ""
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
        )
        return None, errors


def repair_message(schema: type[BaseModel], errors: str) -> Message:
    """Tell the model what was wrong with its reply and ask for the corrected JSON only."""
    return {
        "role": "user",
        "content": f"Your reply does not validate against the {schema.__name__} schema: "
        f"{errors}. Reply again with only the corrected JSON object.",
    }
