"""What every node of one compiled skill shares, what each run brings, and small helpers.

A graph is compiled once per skill version: its nodes close over a
:class:`SkillContext` (the skill's text, steps, rules and schemas) and nothing
else. What differs per run (the model, the tools, the journal that makes model
and tool calls happen once) reaches the nodes through LangGraph's runtime
context as a :class:`RunContext`, so one compiled graph serves every run.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime, get_runtime

from agent.audit import new_event
from agent.errors import ConfigError, ModelError
from agent.graph.schemas import SkillSchemas
from agent.llm._usage import usage_of as spent_before
from agent.llm.base import ChatModel, ModelRequest, ModelResponse, T
from agent.skill.model import Guardrail, MicroSkill, Skill
from agent.skill.policy import Policy

APPLY_STEP = "apply"
"""The one step of a skill that has no micro-skills."""


@dataclass(frozen=True)
class GraphSettings:
    """Bounds and switches of a run; the defaults keep LLM calls and loops small."""

    max_step_revisions: int = 1
    """How often the guard may send one step back before the run is blocked."""
    max_audit_revisions: int = 1
    max_clarify_rounds: int = 2
    """Clarification rounds per step; past them the step's assumption stands, recorded."""
    max_clarify_questions: int = 6
    """Clarifying questions per run (a policy's ``clarify.per_run`` overrides it)."""
    judge: bool = True
    """Judge guardrails without a deterministic rule with the model."""
    memory: bool = False
    """Read and write lessons in the LangGraph Store across runs (needs a store)."""


class Journal(Protocol):
    """Makes a model call happen once per node execution, however often the node re-runs.

    ``key`` names the call (the LangGraph task id of the node execution and the
    purpose): a node re-run after a kill or an interrupt gets the same task id and
    so the recorded response, and its tool calls are replayed instead of re-run.
    """

    async def model_call(
        self,
        key: str,
        request: ModelRequest[T],
        call: Callable[[ModelRequest[T]], Awaitable[ModelResponse[T]]],
    ) -> ModelResponse[T]:
        """The recorded response for ``key``, or ``call(request)``'s, recorded."""
        ...


class Clock(Protocol):
    """Where a run's time comes from: the system's by default, a fake one in tests.

    Deadlines are computed and applied against it, so a test moves time instead of
    sleeping.
    """

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at ``at``: what a call that is told the time runs with."""

    at: datetime

    def now(self) -> datetime:
        """Always ``at``."""
        return self.at


SYSTEM_CLOCK = SystemClock()


class _NoModel:
    """The model of a context built without one: LangGraph Server builds the context from
    the run's configuration, which need not name a model (``SKILLWEAVE_MODEL`` then does)."""

    name = "none"

    async def generate(self, request: ModelRequest[T]) -> ModelResponse[T]:
        """Never called: a context without a model is replaced by the served one."""
        raise ConfigError("this run's context names no model")

    async def aclose(self) -> None:
        """Nothing to release."""


NO_MODEL: ChatModel = _NoModel()


@dataclass(frozen=True)
class RunContext:
    """What one run brings to the compiled graph (LangGraph's ``context``)."""

    model: ChatModel = NO_MODEL
    tools: tuple[BaseTool, ...] = ()
    journal: Journal | None = None
    clock: Clock = SYSTEM_CLOCK
    """The run's time: timestamps, question deadlines and reminders read it."""


def _given(runtime: Runtime[Any]) -> RunContext | None:
    """The context the engine gave the run; None on LangGraph Server.

    The server fills the context schema from the run's configuration when no context
    is given, which makes a ``RunContext`` whose model is the configured spec string,
    or no model at all.
    """
    context = runtime.context
    if isinstance(context, RunContext) and not isinstance(context.model, str | _NoModel):
        return context
    return None


def run_context(runtime: Runtime[Any]) -> RunContext:
    """The run's context; without one (LangGraph Server), one from the run's configuration."""
    if (given := _given(runtime)) is not None:
        return given
    from agent.graph.server import served_context

    return served_context()


def run_tools(runtime: Runtime[Any], skill: Skill, inputs: dict[str, Any]) -> tuple[BaseTool, ...]:
    """The run's tools; without a context (LangGraph Server), over the input's evidence."""
    if (given := _given(runtime)) is not None:
        return given.tools
    from agent.graph.server import served_tools

    return served_tools(skill, inputs)


async def send_approved(runtime: Runtime[Any], ctx: SkillContext, values: Any) -> None:
    """Without a context (LangGraph Server), post newly approved actions from the graph.

    An embedded run's engine sends them through its outbox after each advance.
    """
    if _given(runtime) is not None or ctx.policy is None:
        return
    from agent.graph.server import post_approved

    await post_approved(ctx.policy, values, runtime.store)


async def call_model(runtime: Runtime[Any], request: ModelRequest[T]) -> ModelResponse[T]:
    """Ask the run's model, through the run's journal when it has one."""
    rc = run_context(runtime)
    info = runtime.execution_info
    if rc.journal is None or info is None:
        return await rc.model.generate(request)
    key = f"{info.checkpoint_ns}|{info.task_id}|{request.purpose}"
    return await rc.journal.model_call(key, request, rc.model.generate)


@dataclass(frozen=True)
class SkillContext:
    """One compiled skill: its text, its steps, the rules and the schemas."""

    skill: Skill
    kernels: tuple[Skill, ...]
    steps: tuple[MicroSkill, ...]
    policy: Policy | None
    schemas: SkillSchemas
    settings: GraphSettings
    prefix: str = ""
    """Prepended to model call purposes so invoked skills do not collide with the root."""
    judged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Guardrail ids the model judges after each step (see :func:`judge_plan`)."""

    @property
    def judge_at_end(self) -> bool:
        """Whether the policy judges every step in one call after the plan's last step."""
        return self.policy is not None and self.policy.judge.at == "last-step"

    @property
    def declared(self) -> frozenset[str]:
        """The names of the skill's Outputs."""
        return frozenset(o.name for o in self.skill.outputs)

    @property
    def lines(self) -> dict[str, int]:
        """Guardrail id → its line in SKILL.md, so verdicts point into the file."""
        return {g.id: g.line for g in self.skill.guardrails}

    @property
    def clarify_per_run(self) -> int:
        """How many clarifying questions the run may ask: the policy's bound, else the setting."""
        if self.policy is not None and self.policy.clarify.per_run is not None:
            return self.policy.clarify.per_run
        return self.settings.max_clarify_questions

    def step(self, step_id: str) -> MicroSkill:
        """The micro-skill behind a plan step id (ids come from the schema enum)."""
        return next(ms for ms in self.steps if ms.id == step_id)

    def purpose(self, name: str) -> str:
        """The model call purpose for ``name`` within this skill."""
        return f"{self.prefix}{name}"

    @property
    def lessons_namespace(self) -> tuple[str, ...]:
        """Where this skill's lessons live in the store."""
        return ("skillweave", self.skill.name, "lessons")


def current_time() -> datetime:
    """The run's clock inside a node (its ``RunContext``); the system's anywhere else."""
    try:
        runtime = get_runtime()
    except RuntimeError:  # outside a graph run
        return SYSTEM_CLOCK.now()
    context = getattr(runtime, "context", None)
    return context.clock.now() if isinstance(context, RunContext) else SYSTEM_CLOCK.now()


def iso(at: datetime) -> str:
    """The one timestamp format of runs: UTC, milliseconds, ``Z``."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """A timestamp written by :func:`iso` (or any ISO time; naive means UTC) as a datetime."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def now() -> str:
    """UTC timestamp used in events, answers and timings, from the run's clock."""
    return iso(current_time())


def events(*items: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """New audit events for a node's update (the channel's reducer chains them)."""
    at = now()
    return [new_event(kind, data, at=at) for kind, data in items]


def usage_of(purpose: str, outcome: ModelResponse[Any] | ModelError) -> dict[str, dict[str, int]]:
    """The tokens of a call under ``purpose`` (the ``usage`` channel adds them up).

    A call whose reply was unusable still cost what it spent (``outcome`` is then
    the error, which carries it): a failed or blocked run reports every call.
    """
    if isinstance(outcome, ModelError):
        usage = spent_before(outcome)
        calls = usage.calls
    else:
        usage = outcome.usage
        calls = max(usage.calls, 1)
    return {
        purpose: {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "calls": calls,
            "estimated_calls": usage.estimated_calls,
        }
    }


def note(step: str, kind: str, text: str) -> list[dict[str, Any]]:
    """A private scratchpad entry for a node's update (none for empty text)."""
    return [{"at": now(), "step": step, "kind": kind, "text": text}] if text else []


def _stems(text: str) -> set[str]:
    return {w[:6] for w in re.findall(r"[a-z]{5,}", text.lower())}


def judge_plan(
    steps: Sequence[MicroSkill], guardrails: Sequence[Guardrail]
) -> dict[str, tuple[str, ...]]:
    """Which judged guardrails to check after which step.

    A guardrail that names a step (by a word of its title: "postmortem",
    "mitigation") is judged after that step only; one that names none applies to
    every step. This keeps the judge to one small call where a rule matters.
    """
    stems = {ms.id: _stems(ms.title) for ms in steps}
    plan: dict[str, list[str]] = {ms.id: [] for ms in steps}
    for g in guardrails:
        words = _stems(g.text)
        named = [sid for sid, st in stems.items() if st & words] or list(plan)
        for sid in named:
            plan[sid].append(g.id)
    return {sid: tuple(ids) for sid, ids in plan.items()}


def step_ids(steps: Sequence[MicroSkill]) -> list[str]:
    """The ids a plan may name."""
    return [ms.id for ms in steps]
