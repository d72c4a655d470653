"""The real client: any OpenAI-compatible chat-completions server through the openai SDK.

We inject our own ``httpx.AsyncClient`` (one connection pool per model, explicit
timeouts and limits; respx and the replay cassette hook in at that level) and
set the SDK's ``max_retries=0``: :mod:`agent.llm._retry` is the only retry layer.
Streaming is used only when the caller wants token deltas; a stream that stops
before its ``finish_reason`` is retried like any transient fault, never half-used.

Every request carries a reply bound (``max_tokens``) and, when tools are offered,
an explicit ``tool_choice`` (llama-cpp-python ignores tools without one). A server
that refuses a parameter (strict ``json_schema``, ``tool_choice``...) gets the
request again in a shape it takes, and :mod:`agent.llm._servers` remembers that
shape for the rest of the process. Refusals are never retried as transient faults,
and every error quotes the start of the server's body, scrubbed of secrets.

Prompts, replies and tool payloads are not logged unless ``SKILLWEAVE_LOG_MODEL_DATA=1``;
keys are never logged (:mod:`agent.llm._logging` also guards the SDK's own loggers).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import httpx2
import openai

from agent._secrets import excerpt
from agent.errors import (
    ModelAPIError,
    ModelError,
    ModelOutputError,
    ModelRetryExhausted,
    ToolLoopError,
)
from agent.llm._logging import guard_logging, log_model_data
from agent.llm._retry import RetryPolicy, TransientFault, is_retryable_status, parse_retry_after
from agent.llm._servers import ServerProfile, profile_for
from agent.llm._structured import (
    ANSWER_TOOL,
    FORCED_ANSWER,
    MODES,
    Mode,
    Parameter,
    answer_tool,
    echoed,
    final_call_message,
    refused_parameter,
    repair_message,
    response_format,
    salvage_reply,
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
from agent.llm._usage import attach_usage, estimate_usage
from agent.llm._window import ContextWindowError, fit
from agent.llm.base import (
    DEFAULT_MAX_TOKENS,
    DroppedValue,
    Message,
    ModelRequest,
    ModelResponse,
    T,
    ToolCallRecord,
    Usage,
)

log = logging.getLogger("agent.llm")

DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)
_NOT_REFUSALS = frozenset({401, 403, 408, 409, 429})  # these statuses mean something else
_CONTEXT_WINDOW = re.compile(
    r"(?:exceed(?:s|ed)? (?:the )?context window of|maximum context length is)\s*(\d+)",
    re.IGNORECASE,
)
"""How llama.cpp, llama-cpp-python, vLLM and OpenAI name the window a request overflowed."""


class _Overflow(Exception):
    """The server refused a request that overflowed its context window of ``window`` tokens."""

    def __init__(self, window: int, body: str) -> None:
        super().__init__(f"context window of {window} tokens exceeded")
        self.window = window
        self.body = body


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


def default_http_client() -> httpx.AsyncClient:
    """One pooled client with explicit timeouts (the SDK's defaults wait ten minutes)."""
    return httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)


class _Refused(Exception):
    """The server refused one parameter we sent; another request shape may work."""

    def __init__(
        self, parameter: Parameter, status: int, raw: str, body: str, request_id: str | None
    ) -> None:
        super().__init__(parameter)
        self.parameter = parameter
        self.status = status
        self.raw = raw  # the whole body, to read the server's advice; never shown
        self.body = body  # the scrubbed excerpt an error message quotes
        self.request_id = request_id


@dataclass
class _Reply:
    content: str | None
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=lambda: Usage(calls=1))
    raw_arguments: list[str] = field(default_factory=list)
    mode: Mode | None = None
    cut: bool = False
    """The server stopped the reply at its token bound (``finish_reason: length``)."""

    def record(self) -> dict[str, Any]:
        """The round as JSON-able data, for the run's journal."""
        return {
            "content": self.content,
            "calls": [list(c) for c in self.calls],
            "usage": self.usage.model_dump(),
            "raw_arguments": list(self.raw_arguments),
            "mode": self.mode,
            "cut": self.cut,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> _Reply:
        """A round read back from the journal."""
        calls = [(str(i), str(n), a) for i, n, a in data.get("calls", [])]
        usage = Usage.model_validate(data.get("usage", {}))
        raw = [str(r) for r in data.get("raw_arguments", [])]
        return cls(data.get("content"), calls, usage, raw, data.get("mode"), bool(data.get("cut")))

    @property
    def message(self) -> Message:
        if self.calls:
            return assistant_tool_message(self.calls, self.content)
        return {"role": "assistant", "content": self.content or ""}

    @property
    def answer(self) -> str | None:
        """In ``tool`` mode, the arguments of the answer-tool call: the structured reply."""
        if self.mode != "tool":
            return None
        return next(
            (
                raw
                for (_, n, _), raw in zip(self.calls, self.raw_arguments, strict=True)
                if n == ANSWER_TOOL
            ),
            None,
        )


@dataclass
class _Spent:
    usage: Usage = field(default_factory=Usage)


class OpenAIChatModel:
    """A :class:`~agent.llm.base.ChatModel` backed by an OpenAI-compatible server.

    ``structured_mode`` forces one structured-output mode (no stepping down);
    ``max_tokens`` overrides every request's reply bound; ``context`` is the model's
    context window, which every request is fitted into (all three come from a model
    spec). Without ``context``, a window the server names when it refuses an
    overflowing request is learned and used from then on.
    """

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
        structured_mode: Mode | None = None,
        max_tokens: int | None = None,
        context: int | None = None,
    ) -> None:
        self.name = name or model
        self._context = context
        self.model = model
        self.max_repairs = max_repairs
        self._retry = retry or RetryPolicy()
        self._offline = offline  # a replay cassette: no network, so the test switch does not apply
        self._forced = structured_mode
        self._max_tokens = max_tokens
        self._secrets = (api_key,) if len(api_key) >= 8 else ()
        guard_logging(api_key)
        self._owns_http = http_client is None
        self._http = http_client or default_http_client()
        # the SDK is typed for httpx2 but accepts a legacy httpx client, which respx can see
        legacy: Any = self._http
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, http_client=legacy, max_retries=0
        )
        # a replayed cassette must see the request shapes it recorded, not what others learned
        self._profile = ServerProfile() if offline else profile_for(base_url, model)

    async def generate(self, request: ModelRequest[T]) -> ModelResponse[T]:
        """Run the request, its tool rounds and any repair retries; return the validated output.

        A :class:`~agent.errors.ModelError` raised from here carries the usage spent
        so far as ``usage`` (read it with :func:`agent.llm.usage_of`).
        """
        spent = _Spent()
        guard_logging()  # loggers the SDK created since this model was built get the filter too
        try:
            return await self._generate(request, spent)
        except ModelError as exc:
            attach_usage(exc, spent.usage)
            raise

    async def _generate(self, request: ModelRequest[T], spent: _Spent) -> ModelResponse[T]:
        started = time.perf_counter()
        messages = list(request.messages)
        tools = tool_schemas(request.tools) if request.tools else []
        records: list[ToolCallRecord] = []
        # tools_open: tool rounds may go on (calls of tools never offered get "unknown tool")
        rounds, repairs, tools_open, index = 0, 0, True, 0
        # The last failed attempt and its repair request: each repair shows the model only
        # its latest reply (none when the server cut it: echoing a runaway reply invites
        # the model to run on again), not every attempt before it.
        repair_turns: list[Message] = []
        dropped: list[DroppedValue] = []
        while True:
            reply = await self._round(request, index, messages, tools if tools_open else [])
            index += 1
            spent.usage += reply.usage
            answer = reply.answer
            if reply.calls and answer is None:
                if not tools_open:
                    raise ToolLoopError(
                        f"{self.name}: {request.purpose!r} still calls tools after "
                        f"{rounds} rounds and a last call without tools; stopping"
                    )
                if rounds >= request.max_tool_rounds:
                    log.info(
                        "%s: %s used its %d tool rounds, asking for the result without tools",
                        self.name,
                        request.purpose,
                        rounds,
                    )
                    tools_open = False
                    messages.append(final_call_message(rounds))
                    continue
                messages.append(reply.message)
                rounds += 1
                done = await run_tool_calls(request.tools, reply.calls)
                records.extend(done)
                messages.extend(tool_result_message(r) for r in done)
                continue
            text = answer if answer is not None else (reply.content or "")
            messages.append({"role": "assistant", "content": text})
            if log_model_data():
                log.debug("%s: reply for %s: %s", self.name, request.purpose, text)
            if request.schema is None:
                output: T | str = text
                break
            valid, errors = validate_reply(request.schema, text)
            if valid is not None:
                output = valid
                break
            if repairs >= self.max_repairs:
                salvaged = salvage_reply(request.schema, text, request.salvage)
                if salvaged is not None:
                    output, dropped = salvaged
                    log.info(
                        "%s: %s reply still invalid after %d repairs; left out %s",
                        self.name,
                        request.purpose,
                        repairs,
                        ", ".join(d.path for d in dropped),
                    )
                    break
                cut = " (the reply was cut off at its token bound)" if reply.cut else ""
                raise ModelOutputError(
                    f"{self.name}: reply for {request.purpose!r} breaks "
                    f"{request.schema.__name__} after {repairs} repair attempts{cut}",
                    raw=text,
                    errors=errors,
                )
            repairs += 1
            log.info("%s: %s reply invalid, asking for a repair", self.name, request.purpose)
            messages.pop()
            shown = [m for m in messages if not any(m is r for r in repair_turns)]
            repair_turns = [] if reply.cut else [echoed(text)]
            repair_turns.append(repair_message(request.schema, errors, cut=reply.cut))
            messages = [*shown, *repair_turns]
        latency = (time.perf_counter() - started) * 1000
        usage = spent.usage
        log.info(
            "%s: %s took %.0f ms, %d prompt + %d completion tokens in %d calls%s",
            self.name,
            request.purpose,
            latency,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.calls,
            "" if usage.reported else f" ({usage.estimated_calls} estimated: no usage reported)",
        )
        return ModelResponse(
            output=output,
            messages=messages,
            model=self.name,
            usage=usage,
            tool_calls=records,
            latency_ms=latency,
            structured_mode=reply.mode,
            dropped=dropped,
        )

    async def _round(
        self,
        request: ModelRequest[Any],
        index: int,
        messages: list[Message],
        tools: list[dict[str, Any]],
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

    def _mode(self) -> Mode:
        if self._forced is not None:
            return self._forced
        index = self._profile.mode
        if MODES[index] == "tool" and not self._profile.tool_choice:
            index += 1  # a forced tool call needs tool_choice
        return MODES[min(index, len(MODES) - 1)]

    async def _complete(
        self,
        request: ModelRequest[Any],
        messages: list[Message],
        tools: list[dict[str, Any]],
    ) -> _Reply:
        attempt = 1
        while True:
            mode = self._mode() if request.schema is not None else None
            try:
                return await self._once(request, messages, tools, mode)
            except _Refused as refusal:
                self._adapt(refusal, request, mode)
            except _Overflow as overflow:
                self._learn_window(overflow, request)
            except TransientFault as fault:
                if attempt >= self._retry.max_attempts:
                    last = "" if fault.status is not None else f", last: {fault}"
                    raise ModelRetryExhausted(
                        f"{self.name}: gave up on {request.purpose!r} after {attempt} attempts"
                        f"{last}",
                        status=fault.status,
                        body=fault.body,
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

    def _window(self) -> int | None:
        return self._context or self._profile.context

    def _learn_window(self, overflow: _Overflow, request: ModelRequest[Any]) -> None:
        """Fit requests into the window the server named; a second overflow ends the call."""
        known = self._window()
        if known is not None and known <= overflow.window:
            raise ContextWindowError(
                f"{self.name}: the request for {request.purpose!r} overflows the model's "
                f"context window of {overflow.window} tokens even when fitted",
                raw="",
                errors=overflow.body,
            )
        self._profile.context = overflow.window
        log.info("%s: context window is %d tokens, fitting requests", self.name, overflow.window)

    def _adapt(self, refusal: _Refused, request: ModelRequest[Any], mode: Mode | None) -> None:
        """Change the request shape the server refused, or raise when nothing is left to try."""
        profile = self._profile
        what = refusal.parameter
        if what == "response_format" and mode == "json_object" and profile.format_schema:
            profile.format_schema = False
            log.info(
                "%s: server refuses response_format.schema, sending plain JSON mode", self.name
            )
            return
        if what in ("response_format", "answer_tool") and mode is not None:
            index = MODES.index(mode)
            if self._forced is None and index < len(MODES) - 1:
                profile.mode = max(profile.mode, index + 1)
                log.info("%s: server refuses %s output, using %s", self.name, mode, self._mode())
                return
        elif what == "tool_choice" and profile.tool_choice:
            profile.tool_choice = False
            log.info("%s: server refuses tool_choice, sending tools without it", self.name)
            return
        elif (
            what == "max_tokens"
            and profile.token_parameter == "max_tokens"
            and "max_completion_tokens" in refusal.raw
        ):
            profile.token_parameter = "max_completion_tokens"
            log.info("%s: server wants max_completion_tokens, using it", self.name)
            return
        forced = (
            f"; the model spec forces the {mode} mode"
            if self._forced and what in ("response_format", "answer_tool")
            else ""
        )
        raise ModelAPIError(
            f"{self.name}: the server refused the request for {request.purpose!r} "
            f"(it does not take our {what}{forced})",
            status=refusal.status,
            body=refusal.body,
            request_id=refusal.request_id,
        )

    def _params(
        self,
        request: ModelRequest[Any],
        messages: list[Message],
        tools: list[dict[str, Any]],
        mode: Mode | None,
    ) -> tuple[dict[str, Any], tuple[Parameter, ...]]:
        """The request body for ``mode``, and the parameters a refusal may blame."""
        bound = self._max_tokens or request.max_tokens or DEFAULT_MAX_TOKENS
        params: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            self._profile.token_parameter: bound,
        }
        sent: list[Parameter] = []
        offered = list(tools)
        if request.schema is not None and mode is not None:
            fmt = response_format(request.schema, mode, with_schema=self._profile.format_schema)
            if fmt is not None:
                params["response_format"] = fmt
                sent.append("response_format")
            if mode != "json_schema":
                params["messages"] = [schema_instruction(request.schema, mode, messages), *messages]
            if mode == "tool":
                offered.append(answer_tool(request.schema))
                params["tool_choice"] = "auto" if tools else FORCED_ANSWER
                sent.append("answer_tool")
        if offered:
            params["tools"] = offered
            if "tool_choice" not in params and self._profile.tool_choice:
                params["tool_choice"] = "auto"
                sent.append("tool_choice")
        sent.append("max_tokens")
        window = self._window()
        if window is not None:
            params["messages"] = fit(params["messages"], context=window, reply=bound, tools=offered)
        return params, tuple(sent)

    async def _once(
        self,
        request: ModelRequest[Any],
        messages: list[Message],
        tools: list[dict[str, Any]],
        mode: Mode | None,
    ) -> _Reply:
        if not self._offline and not model_requests_allowed():
            raise ModelAPIError(
                f"{self.name}: real model requests are disabled here "
                "(SKILLWEAVE_ALLOW_MODEL_REQUESTS=0 or allow_model_requests(False))"
            )
        params, sent = self._params(request, messages, tools, mode)
        if log_model_data():
            log.debug("%s: request for %s: %s", self.name, request.purpose, params["messages"])
        try:
            if request.on_token is not None:
                reply = await self._stream(params, request.on_token)
            else:
                reply = self._parse(await self._create(params), params["messages"])
        except openai.APIStatusError as exc:
            raise self._classify(exc, request, sent) from None
        except openai.APITimeoutError:
            raise TransientFault("request timed out") from None
        except openai.APIConnectionError as exc:
            if isinstance(exc.__cause__, ModelError):  # our own transport refused (replay drift)
                raise exc.__cause__ from None
            raise TransientFault(f"connection failed ({exc.__cause__ or exc})") from None
        reply.mode = mode
        return reply

    def _classify(
        self, exc: openai.APIStatusError, request: ModelRequest[Any], sent: tuple[Parameter, ...]
    ) -> Exception:
        status = exc.status_code
        raw = _body_text(exc)
        body = excerpt(raw, self._secrets)
        window = _CONTEXT_WINDOW.search(raw) if status == 400 else None
        if window is not None:
            return _Overflow(int(window.group(1)), body)
        if status not in _NOT_REFUSALS:
            refused = refused_parameter(status, raw, sent)
            if refused is not None:
                return _Refused(refused, status, raw, body, exc.request_id)
        if is_retryable_status(status):
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            return TransientFault(
                f"HTTP {status}", status=status, retry_after=retry_after, body=body
            )
        if status in (401, 403):
            message = (
                f"{self.name}: the server rejected the credentials; check OPENAI_API_KEY "
                "(and OPENAI_BASE_URL) for this model"
            )
        else:
            message = f"{self.name}: the server refused the request for {request.purpose!r}"
        return ModelAPIError(message, status=status, body=body, request_id=exc.request_id)

    def _parse(self, completion: dict[str, Any], sent: list[Message]) -> _Reply:
        message = completion["choices"][0]["message"]
        tool_calls = message.get("tool_calls") or []
        raw = [c["function"].get("arguments") or "" for c in tool_calls]
        calls = [
            (c.get("id") or "", c["function"]["name"], parse_arguments(args))
            for c, args in zip(tool_calls, raw, strict=True)
        ]
        content = message.get("content")
        usage = completion.get("usage")
        return _Reply(
            content,
            calls,
            _usage_of(usage) if usage is not None else estimate_usage(sent, content, raw),
            raw,
            cut=completion["choices"][0].get("finish_reason") == "length",
        )

    async def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        """One chat completion, sent and read as plain JSON through the SDK's client.

        Our body is plain JSON already: the SDK's typed ``create`` would walk every
        message, tool and format against its TypedDict unions and build its
        ChatCompletion model, more CPU than the engine spends on a superstep. The
        client's documented ``post`` for custom requests sends the same body with the
        same headers, auth and error classes (an ``APIStatusError`` on a refusal), and
        the reply is read with ``json.loads`` for the keys we use.
        """
        response = await self._client.post(
            "/chat/completions", body=params, cast_to=httpx2.Response
        )
        try:
            completion = json.loads(response.content)
            completion["choices"][0]["message"]
        except (ValueError, LookupError, TypeError):
            raise ModelAPIError(
                f"{self.name}: the server's reply is not a chat completion",
                status=response.status_code,
                body=excerpt(response.text, self._secrets),
            ) from None
        return completion  # type: ignore[no-any-return]

    async def _stream(self, params: dict[str, Any], on_token: Callable[[str], None]) -> _Reply:
        stream = await self._client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        content: list[str] = []
        slots: dict[int, dict[str, str]] = {}
        finish: str | None = None
        usage: Usage | None = None
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
        ordered = [s for _, s in sorted(slots.items())]
        calls = [(s["id"], s["name"], parse_arguments(s["args"])) for s in ordered]
        raw = [s["args"] for s in ordered]
        text = "".join(content) or None
        if usage is None:  # llama-cpp-python sends no usage chunk
            usage = estimate_usage(params["messages"], text, raw)
        return _Reply(text, calls, usage, raw, cut=finish == "length")

    async def aclose(self) -> None:
        """Close the connection pool if we created it; safe to call twice."""
        if self._owns_http:
            await self._http.aclose()


def _usage(raw: Any) -> Usage:
    return Usage(
        prompt_tokens=raw.prompt_tokens or 0, completion_tokens=raw.completion_tokens or 0, calls=1
    )


def _usage_of(raw: dict[str, Any]) -> Usage:
    return Usage(
        prompt_tokens=raw.get("prompt_tokens") or 0,
        completion_tokens=raw.get("completion_tokens") or 0,
        calls=1,
    )


def _body_text(exc: openai.APIStatusError) -> str:
    try:
        return exc.response.text
    except Exception:  # a streamed error body may be unread; the status still says enough
        return str(exc.body or "")
