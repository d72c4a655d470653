"""The model layer: the one place that talks to OpenAI-compatible servers, or stands in for them."""

from agent.llm._openai import OpenAIChatModel, allow_model_requests
from agent.llm._retry import RetryPolicy
from agent.llm._servers import forget_servers
from agent.llm._usage import UsageMeter, usage_of
from agent.llm.base import (
    DEFAULT_MAX_TOKENS,
    ChatModel,
    ModelRequest,
    ModelResponse,
    StructuredMode,
    ToolCallRecord,
    Usage,
)
from agent.llm.scripted import ScriptedModel
from agent.llm.spec import ModelSpec, build_model, parse_spec

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "ChatModel",
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
