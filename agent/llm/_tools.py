"""Tools for the model: langchain-core tools in, OpenAI tool schemas out, calls executed safely.

A tool that raises must not crash the run: the model sees the error as the tool's
answer (``error=True`` in the record) and can recover, exactly as with a real API.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
from typing import Any

from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.llm.base import Message, ToolCallRecord


def tool_schemas(tools: Sequence[BaseTool]) -> list[dict[str, Any]]:
    """The ``tools`` parameter of a chat completion, built by langchain-core, not by hand."""
    return [_tool_schema(t) for t in tools]


_SCHEMAS: weakref.WeakKeyDictionary[type, dict[tuple[str, str], dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)
"""Tool schemas by argument class, then name and description: each run builds its tools
anew and converting them costs milliseconds per model call, so a conversion is kept as
long as its argument class lives."""


def _tool_schema(tool: BaseTool) -> dict[str, Any]:
    args = tool.args_schema
    if not isinstance(args, type):
        return convert_to_openai_tool(tool)
    known = _SCHEMAS.setdefault(args, {})
    key = (tool.name, tool.description)
    if key not in known:
        known[key] = convert_to_openai_tool(tool)
    return known[key]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


async def _run_one(
    tools: dict[str, BaseTool], call_id: str, name: str, args: Any
) -> ToolCallRecord:
    tool = tools.get(name)
    if tool is None:
        known = ", ".join(sorted(tools)) or "none"
        result, error = f"unknown tool {name!r}; available tools: {known}", True
    elif not isinstance(args, dict):
        result, error = f"arguments for {name!r} must be a JSON object, got {args!r}", True
    else:
        try:
            result, error = _as_text(await tool.ainvoke(args)), False
        except Exception as exc:  # any tool fault goes back to the model as its answer
            result, error = f"{type(exc).__name__}: {exc}", True
    return ToolCallRecord(
        id=call_id,
        name=name,
        args=args if isinstance(args, dict) else {},
        result=result,
        error=error,
    )


async def run_tool_calls(
    tools: Sequence[BaseTool], calls: Sequence[tuple[str, str, Any]]
) -> list[ToolCallRecord]:
    """Run ``(id, name, args)`` calls concurrently; results keep the order of the calls."""
    by_name = {t.name: t for t in tools}
    return list(await asyncio.gather(*(_run_one(by_name, i, n, a) for i, n, a in calls)))


def parse_arguments(raw: str) -> Any:
    """Decode a tool call's JSON arguments; garbage becomes a value the tool runner rejects."""
    try:
        return json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        return raw


def assistant_tool_message(
    calls: Sequence[tuple[str, str, Any]], content: str | None = None
) -> Message:
    """The assistant turn that asked for ``calls``, in the wire format the API expects back.

    ``content`` is ``""`` rather than null when the model said nothing: llama-cpp-python
    answers a null content beside ``tool_calls`` with HTTP 500.
    """
    return {
        "role": "assistant",
        "content": content or "",
        "tool_calls": [
            {"id": i, "type": "function", "function": {"name": n, "arguments": _as_text(a)}}
            for i, n, a in calls
        ],
    }


def tool_result_message(record: ToolCallRecord) -> Message:
    """The tool turn answering one call."""
    return {"role": "tool", "tool_call_id": record.id, "content": record.result}
