"""The real client: any OpenAI-compatible chat-completions server through the openai SDK.

We inject our own ``httpx.AsyncClient`` (one connection pool per model, explicit
timeouts and limits; respx and the replay cassette hook in at that level) and
set the SDK's ``max_retries=0``: :mod:`agent.llm._retry` is the only retry layer.
Streaming is used only when the caller wants token deltas; a stream that stops
before its ``finish_reason`` is retried like any transient fault, never half-used.

Prompts, replies and tool payloads are not logged unless ``SKILLWEAVE_LOG_MODEL_DATA=1``;
keys are never logged.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import httpx2
import openai

from agent.errors import (
    ModelAPIError,
    ModelError,
    ModelOutputError,
    ModelRetryExhausted,
    ToolLoopError,
)
from agent.llm._retry import RetryPolicy, TransientFault, is_retryable_status, parse_retry_after
from agent.llm._structured import (
    MODES,
    Mode,
    names_response_format,
    repair_message,
    response_format,
    schema_instruction,
    validate_reply,
)
from agent.llm._tools import (
    assistant_tool_message,
    parse_arguments,
    run_tool_calls,
    tool_result_message,
    tool_schemas,
)
from agent.llm.base import Message, ModelRequest, ModelResponse, T, ToolCallRecord, Usage

log = logging.getLogger("agent.llm")

DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)

_allowed: bool | None = None


def allow_model_requests(allowed: bool | None) -> None:
    """Switch real model requests on or off (None: follow ``SKILLWEAVE_ALLOW_MODEL_REQUESTS``).

    The test suite turns them off so a forgotten mock fails at once instead of
    reaching the network; tests that route HTTP through respx turn them back on.
    """
    global _allowed
    _allowed = allowed


def model_requests_allowed() -> bool:
    """Whether an :class:`OpenAIChatModel` may send a request right now."""
    if _allowed is not None:
        return _allowed
    return os.environ.get("SKILLWEAVE_ALLOW_MODEL_REQUESTS", "1") != "0"


def _log_data() -> bool:
    return os.environ.get("SKILLWEAVE_LOG_MODEL_DATA") == "1"


def default_http_client() -> httpx.AsyncClient:
    """One pooled client with explicit timeouts (the SDK's defaults wait ten minutes)."""
    return httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)


class _StructuredUnsupported(Exception):
    """The server rejected our ``response_format``; a weaker structured-output mode may work."""


@dataclass
class _Reply:
    content: str | None
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=lambda: Usage(calls=1))

    def record(self) -> dict[str, Any]:
        """The round as JSON-able data, for the run's journal."""
        return {
            "content": self.content,
            "calls": [list(c) for c in self.calls],
            "usage": self.usage.model_dump(),
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> _Reply:
        """A round read back from the journal."""
        calls = [(str(i), str(n), a) for i, n, a in data.get("calls", [])]
        return cls(data.get("content"), calls, Usage.model_validate(data.get("usage", {})))

    @property
    def message(self) -> Message:
        if self.calls:
            return assistant_tool_message(self.calls, self.content)
        return {"role": "assistant", "content": self.content or ""}


class OpenAIChatModel:
    """A :class:`~agent.llm.base.ChatModel` backed by an OpenAI-compatible server."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key: str,
        name: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        max_repairs: int = 2,
        offline: bool = False,
    ) -> None:
        self.name = name or model
        self.model = model
        self.max_repairs = max_repairs
        self._retry = retry or RetryPolicy()
        self._offline = offline  # a replay cassette: no network, so the test switch does not apply
        self._owns_http = http_client is None
        self._http = http_client or default_http_client()
        # the SDK is typed for httpx2 but accepts a legacy httpx client, which respx can see
        legacy: Any = self._http
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, http_client=legacy, max_retries=0
        )
        self._mode = 0  # index into MODES; steps down once per server that rejects a mode

    async def generate(self, request: ModelRequest[T]) -> ModelResponse[T]:
        """Run the request, its tool rounds and any repair retries; return the validated output."""
        started = time.perf_counter()
        messages = list(request.messages)
        tools = tool_schemas(request.tools) if request.tools else None
        usage, records, rounds, repairs = Usage(), list[ToolCallRecord](), 0, 0
        index = 0
        while True:
            reply = await self._round(request, index, messages, tools)
            index += 1
            usage += reply.usage
            messages.append(reply.message)
            if reply.calls:
                if rounds >= request.max_tool_rounds:
                    raise ToolLoopError(
                        f"{self.name}: {request.purpose!r} still calls tools after "
                        f"{request.max_tool_rounds} rounds; stopping"
                    )
                rounds += 1
                done = await run_tool_calls(request.tools, reply.calls)
                records.extend(done)
                messages.extend(tool_result_message(r) for r in done)
                continue
            text = reply.content or ""
            if _log_data():
                log.debug("%s: reply for %s: %s", self.name, request.purpose, text)
            if request.schema is None:
                output: T | str = text
                break
            valid, errors = validate_reply(request.schema, text)
            if valid is not None:
                output = valid
                break
            if repairs >= self.max_repairs:
                raise ModelOutputError(
                    f"{self.name}: reply for {request.purpose!r} breaks "
                    f"{request.schema.__name__} after {repairs} repair attempts",
                    raw=text,
                    errors=errors,
                )
            repairs += 1
            log.info("%s: %s reply invalid, asking for a repair", self.name, request.purpose)
            messages.append(repair_message(request.schema, errors))
        latency = (time.perf_counter() - started) * 1000
        log.info(
            "%s: %s took %.0f ms, %d prompt + %d completion tokens in %d calls",
            self.name,
            request.purpose,
            latency,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.calls,
        )
        return ModelResponse(
            output=output,
            messages=messages,
            model=self.name,
            usage=usage,
            tool_calls=records,
            latency_ms=latency,
        )

    async def _round(
        self,
        request: ModelRequest[Any],
        index: int,
        messages: list[Message],
        tools: list[dict[str, Any]] | None,
    ) -> _Reply:
        """Round ``index`` of the call: replayed when it was received before, else asked."""
        if request.rounds is not None:
            found = await request.rounds.replay(index)
            if found is not None:
                return _Reply.from_record(found)
        reply = await self._complete(request, messages, tools)
        if request.rounds is not None:
            await request.rounds.record(index, reply.record())
        return reply

    async def _complete(
        self,
        request: ModelRequest[Any],
        messages: list[Message],
        tools: list[dict[str, Any]] | None,
    ) -> _Reply:
        attempt = 1
        while True:
            try:
                return await self._once(request, messages, tools)
            except _StructuredUnsupported:
                self._mode += 1
                log.info("%s: server rejects %s output, using %s", self.name, *self._modes())
            except TransientFault as fault:
                if attempt >= self._retry.max_attempts:
                    raise ModelRetryExhausted(
                        f"{self.name}: gave up on {request.purpose!r} after {attempt} attempts, "
                        f"last: {fault}",
                        status=fault.status,
                    ) from None
                wait = self._retry.delay(attempt, fault.retry_after)
                log.warning(
                    "%s: %s (attempt %d/%d), retrying in %.1fs",
                    self.name,
                    fault,
                    attempt,
                    self._retry.max_attempts,
                    wait,
                )
                await self._retry.sleep(wait)
                attempt += 1

    def _modes(self) -> tuple[Mode, Mode]:
        return MODES[self._mode - 1], MODES[self._mode]

    async def _once(
        self,
        request: ModelRequest[Any],
        messages: list[Message],
        tools: list[dict[str, Any]] | None,
    ) -> _Reply:
        if not self._offline and not model_requests_allowed():
            raise ModelAPIError(
                f"{self.name}: real model requests are disabled here "
                "(SKILLWEAVE_ALLOW_MODEL_REQUESTS=0 or allow_model_requests(False))"
            )
        params: dict[str, Any] = {"model": self.model, "messages": messages}
        if tools:
            params["tools"] = tools
        if request.schema is not None:
            mode = MODES[self._mode]
            fmt = response_format(request.schema, mode)
            if fmt is not None:
                params["response_format"] = fmt
            if mode != "json_schema":
                params["messages"] = [schema_instruction(request.schema), *messages]
        if _log_data():
            log.debug("%s: request for %s: %s", self.name, request.purpose, params["messages"])
        try:
            if request.on_token is not None:
                return await self._stream(params, request.on_token)
            return self._parse(await self._client.chat.completions.create(**params))
        except openai.APIStatusError as exc:
            raise self._classify(exc, request) from None
        except openai.APITimeoutError:
            raise TransientFault("request timed out") from None
        except openai.APIConnectionError as exc:
            if isinstance(exc.__cause__, ModelError):  # our own transport refused (replay drift)
                raise exc.__cause__ from None
            raise TransientFault(f"connection failed ({exc.__cause__ or exc})") from None

    def _classify(self, exc: openai.APIStatusError, request: ModelRequest[Any]) -> Exception:
        status = exc.status_code
        body = _body_text(exc)
        if is_retryable_status(status):
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            return TransientFault(f"HTTP {status}", status=status, retry_after=retry_after)
        if (
            status == 400
            and request.schema is not None
            and self._mode < len(MODES) - 1
            and names_response_format(body)
        ):
            return _StructuredUnsupported()
        if status in (401, 403):
            message = (
                f"{self.name}: the server rejected the credentials; check OPENAI_API_KEY "
                "(and OPENAI_BASE_URL) for this model"
            )
        else:
            message = f"{self.name}: the server refused the request for {request.purpose!r}"
        return ModelAPIError(message, status=status, body=body, request_id=exc.request_id)

    def _parse(self, completion: Any) -> _Reply:
        choice = completion.choices[0]
        calls = [
            (c.id, c.function.name, parse_arguments(c.function.arguments or ""))
            for c in choice.message.tool_calls or []
        ]
        return _Reply(choice.message.content, calls, _usage(completion.usage))

    async def _stream(self, params: dict[str, Any], on_token: Callable[[str], None]) -> _Reply:
        stream = await self._client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        content: list[str] = []
        slots: dict[int, dict[str, str]] = {}
        finish: str | None = None
        usage = Usage(calls=1)
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = _usage(chunk.usage)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        content.append(delta.content)
                        on_token(delta.content)
                    for part in delta.tool_calls or []:
                        # tool-call deltas arrive in fragments keyed by index
                        slot = slots.setdefault(part.index, {"id": "", "name": "", "args": ""})
                        slot["id"] = part.id or slot["id"]
                        if part.function is not None:
                            slot["name"] = part.function.name or slot["name"]
                            slot["args"] += part.function.arguments or ""
                    finish = choice.finish_reason or finish
        except (httpx.TransportError, httpx2.TransportError, openai.APIConnectionError):
            raise TransientFault("the stream was cut off") from None
        if finish is None:
            raise TransientFault("the stream ended before the reply was finished")
        calls = [(s["id"], s["name"], parse_arguments(s["args"])) for _, s in sorted(slots.items())]
        return _Reply("".join(content) or None, calls, usage)

    async def aclose(self) -> None:
        """Close the connection pool if we created it; safe to call twice."""
        if self._owns_http:
            await self._http.aclose()


def _usage(raw: Any) -> Usage:
    if raw is None:
        return Usage(calls=1)
    return Usage(prompt_tokens=raw.prompt_tokens, completion_tokens=raw.completion_tokens, calls=1)


def _body_text(exc: openai.APIStatusError) -> str:
    try:
        return exc.response.text
    except Exception:  # a streamed error body may be unread; the status still says enough
        return str(exc.body or "")
