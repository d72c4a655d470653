"""A model that answers from a script, so tests and the offline demo need no server.

Script format (YAML or JSON), keyed by the caller's ``purpose`` (usually the node id);
each value is the list of replies for that purpose, one per call, consumed in order::

    plan:
      - expect: "checkout"            # optional: substring(s) the request must contain
        tool_calls:                   # optional: really executed against request.tools
          - {name: search_logs, args: {query: "5xx"}}
        output: {steps: [...]}        # validated against request.schema (text if none)
    "step:triage":
      - error: {status: 503, message: "overloaded"}   # simulate a server fault
    "step:severity":
      - cases:                        # one call whose reply depends on a human's answer
          - when: {question: "SEV2 or SEV3", answer: "^SEV3"}
            output: {...}
          - when:                     # a list: every condition holds
              - {question: "SEV2 or SEV3", answer: "^SEV3"}
              - {question: "approve", approved: false}
            output: {...}
        default:                      # no case holds (omit it to make that a script error)
          output: {...}

A case's ``when`` reads the human answers the request carries (its
``human-answers`` data block): ``question`` is a case-insensitive substring of the
question's text, ``answer`` a case-insensitive regular expression searched in the
answer's text and in the choice it named, ``approved`` whether an approval was
given; the conditions named must all hold for one answer (a list of conditions
holds when each holds, by any answer). The first case that holds serves the
call; otherwise ``default`` does.

A call the script does not cover (an unknown purpose, a used-up list, no case
and no default, a failed ``expect``, an output that breaks the schema) raises
:class:`ScriptedModelError`, naming the call and the script file: a script
mistake is a user error, and a run that meets one stays where it stopped.
:meth:`ScriptedModel.assert_complete` fails on replies left unconsumed. ``name``
always says ``scripted`` so nobody mistakes its output for a real model's.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

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

    @field_validator("expect", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """Accept ``expect`` as one string or a list."""
        return [value] if isinstance(value, str) else value


def _regex(pattern: str | None) -> str | None:
    """A ``when.answer`` pattern, checked when the script loads."""
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


class ScriptWhen(BaseModel):
    """When a case serves the call: one human answer in the request meets every condition."""

    model_config = ConfigDict(extra="forbid")

    question: str | None = None
    answer: Annotated[str | None, AfterValidator(_regex)] = None
    approved: bool | None = None

    def holds(self, answers: list[dict[str, Any]]) -> bool:
        """Whether any of ``answers`` (the request's human answers) meets every condition."""
        return any(self._met_by(a) for a in answers)

    def _met_by(self, answer: dict[str, Any]) -> bool:
        if self.question and self.question.lower() not in str(answer.get("question", "")).lower():
            return False
        if self.approved is not None and answer.get("approved") is not self.approved:
            return False
        said = f"{answer.get('text', '')}\n{answer.get('choice', '')}"
        return self.answer is None or re.search(self.answer, said, re.IGNORECASE) is not None


class ScriptCase(ScriptReply):
    """A reply served when its ``when`` holds: one condition, or a list that must all hold."""

    when: list[ScriptWhen] = Field(min_length=1)

    @field_validator("when", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, Mapping) else value

    def holds(self, answers: list[dict[str, Any]]) -> bool:
        """Whether every condition is met (each by some answer)."""
        return all(w.holds(answers) for w in self.when)


class ScriptBranch(BaseModel):
    """One call whose reply depends on the answers: the first case that holds, else the default."""

    model_config = ConfigDict(extra="forbid")

    cases: list[ScriptCase] = Field(min_length=1)
    default: ScriptReply | None = None

    def choose(self, answers: list[dict[str, Any]]) -> ScriptReply | None:
        """The reply for a request carrying ``answers``; None when nothing covers it."""
        case = next((c for c in self.cases if c.holds(answers)), None)
        if case is not None:
            return ScriptReply.model_validate(case.model_dump(exclude={"when"}))
        return self.default


ScriptItem = ScriptReply | ScriptBranch


def _item(raw: Any) -> ScriptItem:
    if isinstance(raw, Mapping) and "cases" in raw:
        return ScriptBranch.model_validate(raw)
    return ScriptReply.model_validate(raw)


def _load_script(script: Mapping[str, Any], source: str) -> dict[str, deque[ScriptItem]]:
    if not isinstance(script, Mapping):
        raise ConfigError(f"{source}: a model script must map purposes to lists of replies")
    loaded: dict[str, deque[ScriptItem]] = {}
    for purpose, replies in script.items():
        if not isinstance(replies, list):
            raise ConfigError(f"{source}: purpose {purpose!r} must list its replies")
        parsed: deque[ScriptItem] = deque()
        for index, raw in enumerate(replies):
            try:
                parsed.append(_item(raw))
            except ValidationError as exc:
                loc, message = first_problem(exc)
                where = dotted(loc, "reply")
                raise ConfigError(f"{source}: {purpose}[{index}].{where}: {message}") from None
        loaded[str(purpose)] = parsed
    return loaded


def _text_of(messages: list[Message]) -> str:
    return "\n".join(str(m.get("content") or "") for m in messages)


_ANSWERS = re.compile(r'<data source="human-answers"[^>]*>\n(.*?)\n</data>', re.DOTALL)
"""The block the step prompt carries the run's answers in (``agent.graph.prompts.data``)."""


def answers_in(messages: list[Message]) -> list[dict[str, Any]]:
    """The human answers a request carries (question, text, choice, approved), oldest first."""
    found: list[dict[str, Any]] = []
    for block in _ANSWERS.findall(_text_of(messages)):
        try:
            data = json.loads(block)
        except json.JSONDecodeError:
            continue
        found += [a for a in data if isinstance(a, dict)] if isinstance(data, list) else []
    return found


class ScriptedModel:
    """A :class:`~agent.llm.base.ChatModel` whose replies come from a script, not a server."""

    def __init__(
        self,
        script: Mapping[str, Any],
        *,
        name: str = "scripted",
        source: str | None = None,
        used: Mapping[str, int] | None = None,
    ) -> None:
        """``used`` counts the replies per purpose an earlier process already served.

        They are skipped, and calls are numbered from them, so a run continued
        elsewhere goes on where the script left off and its errors name the right call.
        """
        self.name = name
        self.source = source or name
        """Where the script came from (its file), named by every error about it."""
        self._replies = _load_script(script, self.source)
        self._calls: dict[str, int] = {}
        for purpose, count in (used or {}).items():
            queue = self._replies.get(purpose)
            if queue is not None and count > 0:
                for _ in range(min(count, len(queue))):
                    queue.popleft()
                self._calls[purpose] = count

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
        call = self._calls.get(purpose, 0) + 1
        if queue is None:
            known = ", ".join(sorted(self._replies)) or "none"
            raise self._uncovered(purpose, call, f"it has replies only for: {known}")
        if not queue:
            raise self._uncovered(purpose, call, f"it has only {call - 1}")
        item = queue[0]  # used up only when it serves the call: a fixed script goes on here
        if isinstance(item, ScriptBranch):
            answers = answers_in(request.messages)
            chosen = item.choose(answers)
            if chosen is None:
                given = ", ".join(repr(str(a.get("text", ""))) for a in answers) or "none"
                raise self._uncovered(purpose, call, f"no case holds (answers: {given})")
            item = chosen
        text = _text_of(request.messages)
        missing = [e for e in item.expect if e not in text]
        if missing:
            raise self._uncovered(
                purpose, call, f"its reply expects {missing} in the request, which lacks them"
            )
        if item.error is None:
            self._output(request, item.output)  # a reply that breaks the schema is not used up
        queue.popleft()
        self._calls[purpose] = call
        return item

    def _uncovered(self, purpose: str, call: int, why: str) -> ScriptedModelError:
        """The one message for a call the script does not cover: which call, which file, why."""
        return ScriptedModelError(
            f"the model script {self.source} has no reply for call {call} of {purpose!r}: "
            f"{why}; add one (a `cases:` reply with a `default:` covers any answer)"
        )

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
                f"the model script {self.source}: the reply for {request.purpose!r} does not "
                f"fit {request.schema.__name__}: {first_problem(exc)[1]}"
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
            raise ScriptedModelError(f"{self.source}: unconsumed scripted replies ({detail})")

    async def aclose(self) -> None:
        """Nothing to release; present for the ChatModel protocol."""
