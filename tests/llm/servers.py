"""Stand-ins for real OpenAI-compatible servers: each checks a request the way that server does.

A simulator takes the model's scripted turns (``completion`` bodies) and answers
each request with the next one, unless the request has a shape the real server
refuses or mishandles; then it answers as that server does (status, error body)
or as its model would (tools it never saw cannot be called). The refusals are
the ones measured against each server; see the module's tests for the sources.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from .wire import chunk, sse

Responder = Callable[[httpx.Request], httpx.Response]

LLAMA_CPP_PYTHON_FORMAT = (
    "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
    "'ctx': {'expected': \"'text' or 'json_object'\"}}]"
)
LLAMA_CPP_PYTHON_NULL_CONTENT = (
    "[{'type': 'string_type', 'loc': ('body', 'messages', 2, 'content'), "
    "'msg': 'Input should be a valid string', 'input': None}]"
)
VLLM_FORMAT = (
    "1 validation error for ChatCompletionRequest\nresponse_format.type\n"
    "  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema']"
)


def _body(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    return body


def _tools_active(body: dict[str, Any], *, need_choice: bool) -> bool:
    if not body.get("tools") or body.get("tool_choice") == "none":
        return False
    return not need_choice or "tool_choice" in body


def _streamed(turn: dict[str, Any], *, usage: bool) -> httpx.Response:
    """The same turn as a server streams it: deltas, a finish chunk, maybe a usage chunk."""
    choice = turn["choices"][0]
    message = choice["message"]
    delta: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
    if message.get("tool_calls"):
        delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(message["tool_calls"])]
    chunks = [chunk(delta), chunk({}, choice["finish_reason"])]
    if usage and turn.get("usage"):
        chunks.append({**chunk({}), "choices": [], "usage": turn["usage"]})
    return sse(chunks)


def _serve(
    turns: Iterable[dict[str, Any]],
    check: Callable[[dict[str, Any]], httpx.Response | None],
    *,
    tools_need_choice: bool = False,
    usage: bool = True,
    stream_usage: bool = True,
) -> Responder:
    queue = list(turns)

    def respond(request: httpx.Request) -> httpx.Response:
        body = _body(request)
        refused = check(body)
        if refused is not None:
            return refused
        turn = json.loads(json.dumps(queue.pop(0)))
        message = turn["choices"][0]["message"]
        if message.get("tool_calls") and not _tools_active(body, need_choice=tools_need_choice):
            # the model never saw the tools, so it answers in prose instead
            message.pop("tool_calls")
            message["content"] = "I would need to search the logs for that."
            turn["choices"][0]["finish_reason"] = "stop"
        if not usage:
            turn["usage"] = None
        if body.get("stream"):
            return _streamed(turn, usage=stream_usage)
        return httpx.Response(200, json=turn)

    return respond


def openai_server(turns: Iterable[dict[str, Any]]) -> Responder:
    """OpenAI: strict json_schema, tools, tool_choice and max_tokens all taken as sent."""
    return _serve(turns, lambda body: None)


def vllm_server(turns: Iterable[dict[str, Any]]) -> Responder:
    """An older vLLM: 400 on a ``json_schema`` response format, JSON mode works."""

    def check(body: dict[str, Any]) -> httpx.Response | None:
        fmt = body.get("response_format") or {}
        if fmt.get("type") not in (None, "text", "json_object"):
            return httpx.Response(
                400,
                json={
                    "object": "error",
                    "message": VLLM_FORMAT,
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                },
            )
        return None

    return _serve(turns, check)


def ollama_server(turns: Iterable[dict[str, Any]]) -> Responder:
    """Ollama's /v1: takes any response_format (strict is ignored, JSON comes back)."""
    return _serve(turns, lambda body: None)


def llama_server(turns: Iterable[dict[str, Any]], *, jinja: bool = True) -> Responder:
    """llama.cpp's own llama-server: json_schema works; tools need ``--jinja`` (else a 500)."""

    def check(body: dict[str, Any]) -> httpx.Response | None:
        if body.get("tools") and not jinja:
            error = {
                "code": 500,
                "message": "tools param requires --jinja flag",
                "type": "server_error",
            }
            return httpx.Response(500, json={"error": error})
        return None

    return _serve(turns, check)


def llama_cpp_python_server(turns: Iterable[dict[str, Any]]) -> Responder:
    """llama-cpp-python 0.3.36, as measured: see :data:`LLAMA_CPP_PYTHON_FORMAT` and below.

    500 on ``json_schema``; ``json_object`` (with or without ``schema``) works; tools
    are ignored unless ``tool_choice`` is sent; an assistant turn with ``content:
    null`` beside ``tool_calls`` is a 500; streams carry no usage chunk.
    """

    def check(body: dict[str, Any]) -> httpx.Response | None:
        fmt = body.get("response_format") or {}
        if fmt.get("type") not in (None, "text", "json_object"):
            return _internal(LLAMA_CPP_PYTHON_FORMAT)
        for message in body["messages"]:
            if message["role"] == "assistant" and message.get("content") is None:
                return _internal(LLAMA_CPP_PYTHON_NULL_CONTENT)
        return None

    return _serve(turns, check, tools_need_choice=True, stream_usage=False)


def _internal(message: str) -> httpx.Response:
    error = {"message": message, "type": "internal_server_error", "param": None, "code": None}
    return httpx.Response(500, json={"error": error})


def refuses_tool_choice(turns: Iterable[dict[str, Any]]) -> Responder:
    """A server that 400s on any ``tool_choice`` but calls tools without one."""

    def check(body: dict[str, Any]) -> httpx.Response | None:
        if "tool_choice" in body:
            error = {"message": "Unrecognized request argument supplied: tool_choice"}
            return httpx.Response(400, json={"error": error})
        return None

    return _serve(turns, check)


def null_usage(turns: Iterable[dict[str, Any]]) -> Responder:
    """A server that answers with ``"usage": null``."""
    return _serve(turns, lambda body: None, usage=False)
