"""Structured output: ask for a pydantic schema, validate the reply, show the model its mistakes.

Servers differ, so there are four modes, tried strongest first:

1. ``json_schema``: OpenAI's strict response format; the server enforces the schema.
2. ``json_object``: JSON mode, the schema in the prompt and in ``response_format.schema``
   (llama.cpp's servers turn that into a grammar; others ignore it; a server that
   refuses the extra key gets plain JSON mode before the next mode is tried).
3. ``tool``: one function tool whose parameters are the schema, forced with
   ``tool_choice``; its arguments are the reply.
4. ``prompt``: the schema in the prompt only, for servers that take none of the above.

A server that refuses a mode (any 4xx/5xx whose body names the parameter and says it
is unsupported) moves the request one mode down; see :func:`refused_parameter`.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Collection, Sequence
from typing import Any, Literal

from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, ValidationError

from agent.llm._schema_text import choice_values, type_text
from agent.llm.base import DroppedValue, Message, StructuredMode, T

Mode = StructuredMode
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "tool", "prompt")
ANSWER_TOOL = "final_answer"
"""The function tool that carries the reply in ``tool`` mode."""

Parameter = Literal["response_format", "answer_tool", "tool_choice", "max_tokens"]
"""A request parameter a server may refuse, and we can change and try again."""


@functools.cache
def _strict_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """OpenAI's strict form of ``schema``, built once per class (it costs milliseconds)."""
    return to_strict_json_schema(schema)


@functools.cache
def _json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """``schema``'s JSON schema, built once per class: pydantic rebuilds it on every call."""
    return schema.model_json_schema()


def response_format(
    schema: type[BaseModel], mode: Mode, *, with_schema: bool = True
) -> dict[str, Any] | None:
    """The ``response_format`` parameter for ``mode`` (None when the mode sends none).

    ``with_schema=False`` leaves ``schema`` out of ``json_object``, for servers that
    take JSON mode but refuse keys they do not know.
    """
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {
                "name": schema.__name__,
                "schema": _strict_schema(schema),
                "strict": True,
            },
        }
    if mode == "json_object":
        if not with_schema:
            return {"type": "json_object"}
        return {"type": "json_object", "schema": _json_schema(schema)}
    return None


def answer_tool(schema: type[BaseModel]) -> dict[str, Any]:
    """The single function tool of ``tool`` mode: calling it *is* the reply."""
    return {
        "type": "function",
        "function": {
            "name": ANSWER_TOOL,
            "description": f"Submit the final result as a {schema.__name__} object.",
            "parameters": _json_schema(schema),
        },
    }


FORCED_ANSWER = {"type": "function", "function": {"name": ANSWER_TOOL}}
"""``tool_choice`` that forces the answer tool."""


def _lean(node: Any, *, names: bool = False) -> Any:
    """``node`` without what tells a model nothing: generated titles, ``null`` alternatives.

    ``names`` marks a mapping whose keys are property or definition names, kept as they are.
    """
    if isinstance(node, list):
        return [_lean(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {k: _lean(v) for k, v in node.items()}
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        (kept,) = [o for o in options if o != {"type": "null"}]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        return _lean({**kept, **rest})
    return {
        k: _lean(v, names=k in ("properties", "$defs"))
        for k, v in node.items()
        if not (k == "title" and isinstance(v, str)) and not (k == "default" and v is None)
    }


@functools.cache
def _lean_schema(schema: type[BaseModel]) -> tuple[dict[str, Any], frozenset[str]]:
    """``schema`` without generated titles or ``null`` options, and its string choices."""
    lean = _lean(_json_schema(schema))
    return lean, frozenset(choice_values(lean))


@functools.cache
def _stated(schema: type[BaseModel], given: frozenset[str]) -> str:
    return type_text(_lean_schema(schema)[0], given)


def prompt_schema(schema: type[BaseModel], request_text: str = "") -> str:
    """The schema as a prompt states it: a compact type, without generated titles or ``null``.

    It costs prompt tokens on every call; what it leaves out (an optional field may also
    be null) changes nothing the reply's validation accepts. A long list of choices
    that ``request_text`` (the request's messages) already spells out is not spelt out
    twice: the server's schema and the reply's validation still hold the model to it.
    """
    choices = _lean_schema(schema)[1]
    given = frozenset(c for c in choices if c in request_text) if request_text else frozenset()
    return _stated(schema, given)


def schema_instruction(
    schema: type[BaseModel], mode: Mode, messages: Sequence[Message] = ()
) -> Message:
    """A system message stating the schema, for modes where the server does not enforce it."""
    text = "\n".join(str(m.get("content") or "") for m in messages)
    shape = f"of this type ({_NOTATION}):\n{prompt_schema(schema, text)}"
    if mode == "tool":
        how = f"When you have the result, call the {ANSWER_TOOL} tool with arguments {shape}"
    else:
        how = f"Reply with one JSON object and nothing else, {shape}"
    return {"role": "system", "content": how}


_NOTATION = "TypeScript notation; `?` marks a key you may leave out"


_NAMES: dict[Parameter, tuple[str, ...]] = {
    "response_format": ("response_format", "json_schema", "json_object", "structured output"),
    "answer_tool": ("tool_choice", "tool choice", "tools", "function calling", "function_call"),
    "tool_choice": ("tool_choice", "tool choice"),
    "max_tokens": ("max_tokens",),
}
_REFUSALS = (
    "unsupported",
    "not supported",
    "does not support",
    "doesn't support",
    "not implemented",
    "input should be",
    "invalid",
    "unknown",
    "unrecognized",
    "unexpected",
    "not allowed",
    "not permitted",
    "extra inputs",
    "must be",
    "requires",
)


def refused_parameter(status: int, body: str, sent: tuple[Parameter, ...]) -> Parameter | None:
    """Which of the parameters ``sent`` the error body blames, if it refuses one.

    A body must name the parameter; a 5xx must also say it is unsupported or invalid
    (llama-cpp-python answers a ``json_schema`` format with a 500 saying "Input should
    be 'text' or 'json_object'"), so an ordinary server fault is still retried.
    """
    lowered = body.lower()
    if status >= 500 and not any(word in lowered for word in _REFUSALS):
        return None
    for parameter in sent:
        if any(name in lowered for name in _NAMES[parameter]):
            return parameter
    return None


def _strip_fence(text: str) -> str:
    # weaker modes often wrap JSON in a markdown fence; strict mode never does
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    return stripped.strip()


def validate_reply(schema: type[T], raw: str) -> tuple[T | None, str]:
    """The validated output, or None and a short error the model can act on.

    A raw newline or tab inside a JSON string is read as if escaped: small local
    models write them (llama-cpp-python's JSON grammar lets them through), and
    showing the model the parse error does not make it stop.
    """
    text = _strip_fence(raw)
    try:
        return schema.model_validate_json(text), ""
    except ValidationError as exc:
        error = exc
    if any(e["type"] == "json_invalid" for e in error.errors()):
        try:
            return schema.model_validate(json.loads(text, strict=False)), ""
        except json.JSONDecodeError:
            pass  # not JSON even with control characters allowed: report the first error
        except ValidationError as exc:
            error = exc
    errors = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
    )
    return None, errors


MAX_DROPPED = 20
"""At most this many values are left out of one reply before it counts as broken."""


def salvage_reply(
    schema: type[T], raw: str, under: Collection[str]
) -> tuple[T, list[DroppedValue]] | None:
    """The reply without the values under the top-level keys ``under`` that break the schema.

    Only a value whose absence the schema accepts is dropped (an optional field, an
    entry of an open object); None when that does not make the reply valid. The last
    resort once repairs run out.
    """
    try:
        data = json.loads(_strip_fence(raw), strict=False)
    except json.JSONDecodeError:
        return None
    dropped: list[DroppedValue] = []
    for _ in range(MAX_DROPPED):
        try:
            return schema.model_validate(data), dropped
        except ValidationError as exc:
            error = exc.errors()[0]
        loc = tuple(error["loc"])
        if len(loc) < 2 or loc[0] not in under:
            return None
        for size in range(len(loc), 1, -1):
            path = loc[:size]
            parent = _at(data, path[:-1])
            if not isinstance(parent, dict) or path[-1] not in parent:
                continue
            candidate = copy.deepcopy(data)
            del _at(candidate, path[:-1])[path[-1]]
            if not _fails_within(schema, candidate, path):
                where = ".".join(str(p) for p in path)
                dropped.append(DroppedValue(where, str(error["msg"]), parent[path[-1]]))
                data = candidate
                break
        else:
            return None
    return None


def _at(data: Any, path: Sequence[Any]) -> Any:
    for part in path:
        data = data[part]
    return data


def _fails_within(schema: type[BaseModel], data: Any, path: tuple[Any, ...]) -> bool:
    """Whether ``data`` still breaks ``schema`` at or below ``path`` (e.g. a missing field)."""
    try:
        schema.model_validate(data)
    except ValidationError as exc:
        return any(tuple(e["loc"])[: len(path)] == path for e in exc.errors())
    return False


REPAIR_ECHO_CHARS = 1000
"""How much of an invalid reply a repair request sends back to the model."""


def echoed(reply: str) -> Message:
    """The invalid reply as the repair request shows it, cut when long.

    The model writes its corrected reply whole, so the start of the old one and the
    errors are what it needs; a weak model's runaway reply (thousands of tokens of
    repeated text) would otherwise be sent back at full length on every repair.
    """
    if len(reply) > REPAIR_ECHO_CHARS:
        cut = len(reply) - REPAIR_ECHO_CHARS
        reply = f"{reply[:REPAIR_ECHO_CHARS]}… [{cut} more characters not shown]"
    return {"role": "assistant", "content": reply}


def repair_message(schema: type[BaseModel], errors: str, *, cut: bool = False) -> Message:
    """Tell the model what was wrong with its reply and ask for the corrected JSON only.

    A reply the server ``cut`` at its token bound is unfinished, not wrong in one
    place: the model is told so and asked for a shorter one, not to fix a syntax error.
    """
    if cut:
        return {
            "role": "user",
            "content": f"Your reply was cut off at the token limit before the {schema.__name__} "
            "JSON object was complete. Reply again with only the JSON object, shorter: "
            "keep every text field to a sentence or two.",
        }
    return {
        "role": "user",
        "content": f"Your reply does not validate against the {schema.__name__} schema: "
        f"{errors}. Reply again with only the corrected JSON object.",
    }


def final_call_message(rounds: int) -> Message:
    """Sent when the tool rounds are used up: one last call, without tools, for the result."""
    return {
        "role": "user",
        "content": f"You have used all {rounds} tool rounds; no more tools can be called. "
        "Reply now with your final result, based on the tool results above.",
    }
