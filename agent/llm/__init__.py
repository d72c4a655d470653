"""The model layer: the one place that talks to OpenAI-compatible servers, or stands in for them.

Names load on first use (PEP 562): code that needs only the contract in
:mod:`agent.llm.base` (the evals' judge, ``skillweave validate``) must not pay for
the openai SDK, which ``OpenAIChatModel`` and ``build_model`` bring in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.llm._openai import OpenAIChatModel, allow_model_requests
    from agent.llm._retry import RetryPolicy
    from agent.llm._servers import forget_servers
    from agent.llm._usage import UsageMeter, usage_of
    from agent.llm.base import (
        DEFAULT_MAX_TOKENS,
        ChatModel,
        DroppedValue,
        ModelRequest,
        ModelResponse,
        StructuredMode,
        ToolCallRecord,
        Usage,
    )
    from agent.llm.scripted import ScriptedModel
    from agent.llm.spec import ModelSpec, build_model, parse_spec

_HOME = {
    "OpenAIChatModel": "_openai",
    "allow_model_requests": "_openai",
    "RetryPolicy": "_retry",
    "forget_servers": "_servers",
    "UsageMeter": "_usage",
    "usage_of": "_usage",
    "DEFAULT_MAX_TOKENS": "base",
    "ChatModel": "base",
    "DroppedValue": "base",
    "ModelRequest": "base",
    "ModelResponse": "base",
    "StructuredMode": "base",
    "ToolCallRecord": "base",
    "Usage": "base",
    "ScriptedModel": "scripted",
    "ModelSpec": "spec",
    "build_model": "spec",
    "parse_spec": "spec",
}
"""Each public name and the submodule that defines it."""

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "ChatModel",
    "DroppedValue",
    "ModelRequest",
    "ModelResponse",
    "ModelSpec",
    "OpenAIChatModel",
    "RetryPolicy",
    "ScriptedModel",
    "StructuredMode",
    "ToolCallRecord",
    "Usage",
    "UsageMeter",
    "allow_model_requests",
    "build_model",
    "forget_servers",
    "parse_spec",
    "usage_of",
]


def __getattr__(name: str) -> object:
    """Import a public name's submodule when the name is first asked for."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
