"""The model layer: the one place that talks to OpenAI-compatible servers, or stands in for them."""

from agent.llm._openai import OpenAIChatModel, allow_model_requests
from agent.llm._retry import RetryPolicy
from agent.llm._usage import UsageMeter
from agent.llm.base import ChatModel, ModelRequest, ModelResponse, ToolCallRecord, Usage
from agent.llm.scripted import ScriptedModel
from agent.llm.spec import ModelSpec, build_model, parse_spec

__all__ = [
    "ChatModel",
    "ModelRequest",
    "ModelResponse",
    "ModelSpec",
    "OpenAIChatModel",
    "RetryPolicy",
    "ScriptedModel",
    "ToolCallRecord",
    "Usage",
    "UsageMeter",
    "allow_model_requests",
    "build_model",
    "parse_spec",
]
