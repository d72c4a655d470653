"""The contract between the graph and any model: one request in, one typed response out.

The graph never sees the openai SDK. It builds a :class:`ModelRequest` (purpose,
messages, an optional pydantic schema, optional tools) and gets back a
:class:`ModelResponse` whose ``output`` is already validated against the schema.
Real servers, the scripted model and the replay model all implement
:class:`ChatModel`, so tests and the offline demo exercise the same code path as
production.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:  # only an annotation here: langchain-core loads with the tools, not the contract
    from langchain_core.tools import BaseTool

T = TypeVar("T", bound=BaseModel)

Message = dict[str, Any]
"""A chat message in the OpenAI wire format (role, content, tool_calls, tool_call_id)."""

StructuredMode = Literal["json_schema", "json_object", "tool", "prompt"]
"""How a structured reply was asked for: strict schema, JSON object, forced tool call, prompt."""

DEFAULT_MAX_TOKENS = 2048
"""Reply bound sent with every request: some servers otherwise generate until the context fills."""


class Usage(BaseModel):
    """Token counts; adds up across calls, nodes and runs.

    ``estimated_calls`` counts the calls whose server reported no usage (a stream
    without a usage chunk, ``usage: null``): their tokens are our estimate, so a
    run can say its figures are partly guessed.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    estimated_calls: int = 0

    @property
    def reported(self) -> bool:
        """Whether every counted call's tokens came from the server, none estimated."""
        return self.estimated_calls == 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion, what most providers bill."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            calls=self.calls + other.calls,
            estimated_calls=self.estimated_calls + other.estimated_calls,
        )


class ToolCallRecord(BaseModel):
    """One tool call the model made and what the tool answered (errors included)."""

    id: str
    name: str
    args: dict[str, Any]
    result: str
    error: bool = False


class Rounds(Protocol):
    """Where the rounds of one model call are recorded, so a re-run replays them.

    A round is one reply from the server (or the script): a tool-call turn, or the
    final answer. A call killed between rounds is continued from its recorded rounds
    without asking the model again for a reply it already gave.
    """

    async def replay(self, index: int) -> dict[str, Any] | None:
        """The recorded round ``index``, or None when it was never received."""
        ...

    async def record(self, index: int, value: dict[str, Any]) -> None:
        """Record round ``index`` as soon as it was received."""
        ...


@dataclass(frozen=True)
class ModelRequest(Generic[T]):
    """What a caller (a graph node, a judge) asks of a model.

    ``purpose`` names the caller (e.g. the node id); the scripted model keys its
    replies on it and usage is aggregated by it. ``max_tokens`` bounds each reply
    (a model spec's ``?max_tokens=`` overrides it; None means the default).
    """

    purpose: str
    messages: list[Message]
    schema: type[T] | None = None
    tools: Sequence[BaseTool] = ()
    max_tool_rounds: int = 8
    on_token: Callable[[str], None] | None = None
    rounds: Rounds | None = None
    """Given by the engine: the call's rounds are replayed from it on a re-run."""
    max_tokens: int | None = DEFAULT_MAX_TOKENS
    salvage: tuple[str, ...] = ()
    """Top-level schema fields under which, once repairs run out, a value that breaks the
    schema but may be left out is dropped (see ``ModelResponse.dropped``) instead of
    failing the call: a weak model's wrongly typed extra value should not cost the rest
    of its answer."""


@dataclass(frozen=True)
class DroppedValue:
    """A value left out of a reply that broke the schema where the schema lets it be absent."""

    path: str
    error: str
    value: Any


@dataclass
class ModelResponse(Generic[T]):
    """A finished exchange: validated output plus everything needed for a transcript.

    ``structured_mode`` says how a structured reply was obtained (None for text
    or a model with no modes), so a run can record which mode a server needed.
    """

    output: T | str
    messages: list[Message]
    model: str
    usage: Usage = field(default_factory=Usage)
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    latency_ms: float = 0.0
    structured_mode: StructuredMode | None = None
    dropped: list[DroppedValue] = field(default_factory=list)
    """Values left out of the reply under ``ModelRequest.salvage`` (empty when it was valid)."""


class ChatModel(Protocol):
    """Anything that answers :class:`ModelRequest`: real, scripted or replayed."""

    name: str

    async def generate(self, request: ModelRequest[T]) -> ModelResponse[T]:
        """Run the request (including any tool loop) and return the validated result."""
        ...

    async def aclose(self) -> None:
        """Release connections; safe to call twice."""
        ...
