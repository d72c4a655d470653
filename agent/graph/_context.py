"""What every node of one compiled skill shares, and small state helpers.

Nodes are closures over a :class:`SkillContext` built once at compile time, so
per-call work is only the model call and plain dict updates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langchain_core.tools import BaseTool
from langgraph.store.base import BaseStore

from agent.graph.schemas import SkillSchemas
from agent.graph.state import RunState
from agent.llm.base import ChatModel, ModelResponse
from agent.runtime.audit import append_event
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
    judge: bool = True
    """Judge guardrails without a deterministic rule with the model."""
    memory: bool = False
    """Read and write lessons in the LangGraph Store across runs (needs a store)."""


@dataclass(frozen=True)
class SkillContext:
    """One compiled skill: its text, its steps, the model, the rules and the schemas."""

    skill: Skill
    kernels: tuple[Skill, ...]
    steps: tuple[MicroSkill, ...]
    model: ChatModel
    tools: tuple[BaseTool, ...]
    policy: Policy | None
    schemas: SkillSchemas
    settings: GraphSettings
    prefix: str = ""
    """Prepended to model call purposes so invoked skills do not collide with the root."""
    store: BaseStore | None = None
    judged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Guardrail ids the model judges after each step (see :func:`judge_plan`)."""

    @property
    def declared(self) -> frozenset[str]:
        """The names of the skill's Outputs."""
        return frozenset(o.name for o in self.skill.outputs)

    @property
    def lines(self) -> dict[str, int]:
        """Guardrail id → its line in SKILL.md, so verdicts point into the file."""
        return {g.id: g.line for g in self.skill.guardrails}

    def step(self, step_id: str) -> MicroSkill:
        """The micro-skill behind a plan step id (ids come from the schema enum)."""
        return next(ms for ms in self.steps if ms.id == step_id)

    def purpose(self, name: str) -> str:
        """The model call purpose for ``name`` within this skill."""
        return f"{self.prefix}{name}"

    @property
    def memory(self) -> BaseStore | None:
        """The store for lessons across runs, when memory is switched on."""
        return self.store if self.settings.memory else None

    @property
    def lessons_namespace(self) -> tuple[str, ...]:
        """Where this skill's lessons live in the store."""
        return ("skillweave", self.skill.name, "lessons")


def now() -> str:
    """UTC timestamp used in events, answers and timings."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def with_events(state: RunState, *events: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit log with ``events`` appended to the hash chain (a new list)."""
    log = list(state.get("audit_log", []))
    for kind, data in events:
        before = len(log)
        event = append_event(log, kind, data)
        if len(log) == before:
            log.append(event)
    return log


def with_usage(
    state: RunState, purpose: str, response: ModelResponse[Any]
) -> dict[str, dict[str, int]]:
    """Usage by purpose with this response's tokens added."""
    usage = {k: dict(v) for k, v in state.get("usage", {}).items()}
    row = usage.setdefault(purpose, {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0})
    row["prompt_tokens"] += response.usage.prompt_tokens
    row["completion_tokens"] += response.usage.completion_tokens
    row["calls"] += max(response.usage.calls, 1)
    return usage


def with_note(state: RunState, step: str, kind: str, text: str) -> list[dict[str, Any]]:
    """The scratchpad with one more private entry (append-only)."""
    if not text:
        return list(state.get("scratchpad", []))
    return [*state.get("scratchpad", []), {"at": now(), "step": step, "kind": kind, "text": text}]


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
