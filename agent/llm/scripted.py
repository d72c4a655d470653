"""A model that answers from a script, so tests and the offline demo need no server.

Script format (YAML or JSON), keyed by the caller's ``purpose`` (usually the node id);
each value is the list of replies for that purpose, consumed in order::

    plan:
      - expect: "checkout"            # optional: substring(s) the request must contain
        tool_calls:                   # optional: really executed against request.tools
          - {name: search_logs, args: {query: "5xx"}}
        output: {steps: [...]}        # validated against request.schema (text if none)
    "step:triage":
      - error: {status: 503, message: "overloaded"}   # simulate a server fault

Anything the script did not foresee fails loudly: an unknown purpose, an exhausted
list, a failed ``expect`` or an output that breaks the schema raise
:class:`ScriptedModelError`; :meth:`ScriptedModel.assert_complete` fails on replies
left unconsumed. ``name`` always says ``scripted`` so nobody mistakes its output for
a real model's.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import (
    ConfigError,
    ModelAPIError,
    ModelOutputError,
    ModelRetryExhausted,
    ScriptedModelError,
    dotted,
    first_problem,
)
from agent.llm._tools import assistant_tool_message, run_tool_calls, tool_result_message
from agent.llm._usage import estimate_tokens
from agent.llm.base import Message, ModelRequest, ModelResponse, T, Usage


class ScriptToolCall(BaseModel):
    """One tool call the scripted model makes."""

    model_config = ConfigDict(extra="forbid")

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class ScriptFault(BaseModel):
    """A simulated failure: an API error, retries running out, or output that stays invalid."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["api", "retry_exhausted", "output"] = "api"
    status: int | None = 500
    message: str = "scripted fault"


class ScriptReply(BaseModel):
    """One scripted reply; unknown keys are rejected so typos in a script surface at load time."""

    model_config = ConfigDict(extra="forbid")

    expect: list[str] = Field(default_factory=list)
    tool_calls: list[ScriptToolCall] = Field(default_factory=list)
    output: Any = None
    error: ScriptFault | None = None

    @classmethod
    def parse(cls, raw: Any) -> ScriptReply:
        """Accept ``expect`` as one string or a list."""
        if isinstance(raw, dict) and isinstance(raw.get("expect"), str):
            raw = {**raw, "expect": [raw["expect"]]}
        return cls.model_validate(raw)


def _load_script(script: Mapping[str, Any], source: str) -> dict[str, deque[ScriptReply]]:
    if not isinstance(script, Mapping):
        raise ConfigError(f"{source}: a model script must map purposes to lists of replies")
    loaded: dict[str, deque[ScriptReply]] = {}
    for purpose, replies in script.items():
        if not isinstance(replies, list):
            raise ConfigError(f"{source}: purpose {purpose!r} must list its replies")
        parsed: deque[ScriptReply] = deque()
        for index, raw in enumerate(replies):
            try:
                parsed.append(ScriptReply.parse(raw))
            except ValidationError as exc:
                loc, message = first_problem(exc)
                where = dotted(loc, "reply")
                raise ConfigError(f"{source}: {purpose}[{index}].{where}: {message}") from None
        loaded[str(purpose)] = parsed
    return loaded


def _text_of(messages: list[Message]) -> str:
    return "\n".join(str(m.get("content") or "") for m in messages)


class ScriptedModel:
    """A :class:`~agent.llm.base.ChatModel` whose replies come from a script, not a server."""

    def __init__(
        self, script: Mapping[str, Any], *, name: str = "scripted", source: str | None = None
    ) -> None:
        self.name = name
        self._replies = _load_script(script, source or name)
        self._calls: dict[str, int] = {}

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedModel:
        """Load a YAML or JSON script; mistakes in it are config errors naming the file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read model script ({exc.strerror})") from None
        try:
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: model script is not valid YAML/JSON: {exc}") from None
        return cls(data or {}, name=f"scripted:{path.name}", source=str(path))

    async def generate(self, request: ModelRequest[T]) -> ModelResponse[T]:
        """Serve the next reply for ``request.purpose``, running its tool calls for real."""
        started = time.perf_counter()
        reply = await self._reply(request)
        messages = list(request.messages)
        records = []
        if reply.tool_calls:
            calls = [
                (f"call_{request.purpose}_{self._calls[request.purpose]}_{i}", c.name, c.args)
                for i, c in enumerate(reply.tool_calls)
            ]
            records = await run_tool_calls(request.tools, calls)
            messages.append(assistant_tool_message(calls))
            messages.extend(tool_result_message(r) for r in records)
        if reply.error is not None:
            self._raise(reply.error)
        output, text = self._output(request, reply.output)
        if request.on_token is not None:
            request.on_token(text)
        messages.append({"role": "assistant", "content": text})
        usage = Usage(
            prompt_tokens=estimate_tokens(_text_of(request.messages)),
            completion_tokens=estimate_tokens(text),
            calls=1,
        )
        return ModelResponse(
            output=output,
            messages=messages,
            model=self.name,
            usage=usage,
            tool_calls=records,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _reply(self, request: ModelRequest[Any]) -> ScriptReply:
        """The next scripted reply, or the one this call got before a kill (its only round)."""
        if request.rounds is not None:
            found = await request.rounds.replay(0)
            if found is not None:
                self._calls[request.purpose] = self._calls.get(request.purpose, 0) + 1
                return ScriptReply.model_validate(found)
        reply = self._next(request)
        if request.rounds is not None and reply.error is None:
            await request.rounds.record(0, reply.model_dump(mode="json"))
        return reply

    def _next(self, request: ModelRequest[Any]) -> ScriptReply:
        purpose = request.purpose
        queue = self._replies.get(purpose)
        if queue is None:
            known = ", ".join(sorted(self._replies)) or "none"
            raise ScriptedModelError(
                f"{self.name}: unexpected call for purpose {purpose!r}; the script has: {known}"
            )
        if not queue:
            used = self._calls.get(purpose, 0)
            raise ScriptedModelError(
                f"{self.name}: purpose {purpose!r} was called {used + 1} times "
                f"but the script has only {used} replies"
            )
        reply = queue.popleft()
        self._calls[purpose] = self._calls.get(purpose, 0) + 1
        text = _text_of(request.messages)
        missing = [e for e in reply.expect if e not in text]
        if missing:
            raise ScriptedModelError(
                f"{self.name}: call {self._calls[purpose]} for {purpose!r} "
                f"does not mention {missing} in its messages"
            )
        return reply

    def _raise(self, fault: ScriptFault) -> None:
        message = f"{self.name}: {fault.message}"
        if fault.kind == "output":
            raise ModelOutputError(message, raw="")
        if fault.kind == "retry_exhausted":
            raise ModelRetryExhausted(message, status=fault.status)
        raise ModelAPIError(message, status=fault.status)

    def _output(self, request: ModelRequest[T], raw: Any) -> tuple[T | str, str]:
        if request.schema is None:
            text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
            return text, text
        try:
            output = request.schema.model_validate(raw)
        except ValidationError as exc:
            raise ScriptedModelError(
                f"{self.name}: scripted output for {request.purpose!r} does not fit "
                f"{request.schema.__name__}: {exc}"
            ) from None
        return output, output.model_dump_json()

    def remaining(self) -> dict[str, int]:
        """Unconsumed replies per purpose (only purposes with some left)."""
        return {p: len(q) for p, q in self._replies.items() if q}

    def assert_complete(self) -> None:
        """Fail if the run did not use every scripted reply: the graph drifted from the script."""
        left = self.remaining()
        if left:
            detail = ", ".join(f"{p}: {n}" for p, n in sorted(left.items()))
            raise ScriptedModelError(f"{self.name}: unconsumed scripted replies ({detail})")

    async def aclose(self) -> None:
        """Nothing to release; present for the ChatModel protocol."""
