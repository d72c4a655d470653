"""Start, resume and inspect skill runs: the API the CLI and evals call.

A run is a LangGraph thread in a durable checkpointer (durability "sync", so a
killed process resumes at the last finished node). Every call that advances a
thread holds the per-thread lock, so two processes can never apply the same
answers twice: the loser gets :class:`~agent.errors.ThreadBusyError` at once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.errors import GraphRecursionError
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, Interrupt

from agent.errors import (
    RunNotPausedError,
    SkillweaveError,
    UnknownQuestionError,
    UnknownThreadError,
    UserError,
)
from agent.graph._context import now
from agent.graph.compile import GraphSettings, compile_skill
from agent.graph.state import RunState
from agent.llm.base import ChatModel
from agent.runtime._export import build_transcript
from agent.runtime.store import get_thread, open_checkpointer, record_thread, thread_lock
from agent.runtime.transcript import Transcript
from agent.skill.library import Library, SkillSet, default_skill_paths
from agent.skill.policy import Policy

Status = Literal["completed", "paused", "blocked", "failed"]
DEFAULT_RECURSION_LIMIT = 200
"""Supersteps per call before a run counts as a runaway loop (LangGraph's default is 10007)."""


@dataclass(frozen=True)
class RunResult:
    """Where a run stands after a call: finished, waiting for answers, halted or failed."""

    thread_id: str
    status: Status
    questions: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _usage(values: Mapping[str, Any]) -> dict[str, Any]:
    by_node = {k: dict(v) for k, v in values.get("usage", {}).items()}
    total = {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0}
    for row in by_node.values():
        for key in total:
            total[key] += int(row.get(key, 0))
    return {"total": total, "by_node": by_node}


def _questions(interrupts: Sequence[Interrupt]) -> list[dict[str, Any]]:
    return [
        q for i in interrupts if isinstance(i.value, dict) for q in i.value.get("questions", [])
    ]


def result_of(
    thread_id: str,
    values: Mapping[str, Any],
    interrupts: Sequence[Interrupt],
    error: str | None = None,
) -> RunResult:
    """A :class:`RunResult` from a checkpoint's values and pending interrupts."""
    questions = _questions(interrupts)
    state_status = values.get("status")
    status: Status
    if error is not None:
        status = "failed"
    elif questions:
        status = "paused"
    elif state_status in ("completed", "blocked"):
        status = state_status
    else:
        status, error = "failed", "the run stopped before finishing (see the audit log)"
    return RunResult(
        thread_id=thread_id,
        status=status,
        questions=questions,
        outputs=dict(values.get("outputs", {})) if status == "completed" else {},
        violations=list(values.get("violations", [])),
        usage=_usage(values),
        error=error,
    )


def resolve_skill(skill: str | Path | SkillSet, skill_paths: Sequence[Path] = ()) -> SkillSet:
    """A name, a path or an already resolved set, resolved on the skills path."""
    if isinstance(skill, SkillSet):
        return skill
    return Library(default_skill_paths(skill_paths)).resolve(str(skill))


def _config(thread_id: str, recursion_limit: int) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}, "recursion_limit": recursion_limit}


@dataclass(frozen=True)
class _Run:
    graph: CompiledStateGraph[RunState]
    saver: BaseCheckpointSaver[Any]
    config: RunnableConfig


@asynccontextmanager
async def _open(
    skillset: SkillSet,
    thread_id: str,
    *,
    model: ChatModel,
    db: str | None,
    data_dir: Path | None,
    tools: Sequence[BaseTool],
    settings: GraphSettings | None,
    policy: Policy | None,
    recursion_limit: int,
) -> AsyncIterator[_Run]:
    async with (
        thread_lock(db, thread_id, data_dir=data_dir),
        open_checkpointer(db, data_dir=data_dir) as saver,
    ):
        graph = compile_skill(
            skillset, model, tools=tools, checkpointer=saver, settings=settings, policy=policy
        )
        yield _Run(graph, saver, _config(thread_id, recursion_limit))


async def _drive(
    run: _Run, payload: Any, *, skill: SkillSet, db: str | None, data_dir: Path | None
) -> RunResult:
    thread_id = run.config["configurable"]["thread_id"]
    error: str | None = None
    try:
        await run.graph.ainvoke(payload, run.config, durability="sync")
    except GraphRecursionError:
        error = (
            f"runaway loop: the run exceeded {run.config['recursion_limit']} steps "
            "(recursion_limit); inspect the audit log for the repeating steps"
        )
    except SkillweaveError as exc:
        error = f"{type(exc).__name__}: {exc}"
    snapshot = await run.graph.aget_state(run.config)
    result = result_of(thread_id, snapshot.values, snapshot.interrupts, error)
    await record_thread(
        db,
        thread_id,
        skill=skill.skill.path or skill.skill.name,
        status=result.status,
        data_dir=data_dir,
    )
    return result


async def start(
    skill: str | Path | SkillSet,
    inputs: Mapping[str, Any],
    thread_id: str | None = None,
    *,
    model: ChatModel,
    db: str | None = None,
    data_dir: Path | None = None,
    tools: Sequence[BaseTool] = (),
    skill_paths: Sequence[Path] = (),
    settings: GraphSettings | None = None,
    policy: Policy | None = None,
    recursion_limit: int = DEFAULT_RECURSION_LIMIT,
) -> RunResult:
    """Run ``skill`` on ``inputs`` in a new thread until it finishes or needs a human.

    ``policy`` overrides the ``policy.yaml`` beside the skill; a resume of the
    same thread must be given the same override.
    """
    skillset = resolve_skill(skill, skill_paths)
    thread_id = thread_id or uuid.uuid4().hex
    async with _open(
        skillset,
        thread_id,
        model=model,
        db=db,
        data_dir=data_dir,
        tools=tools,
        settings=settings,
        policy=policy,
        recursion_limit=recursion_limit,
    ) as run:
        existing = await run.graph.aget_state(run.config)
        if existing.values:
            raise UserError(
                f"thread '{thread_id}' already exists; use resume, or start without a thread id"
            )
        await record_thread(
            db,
            thread_id,
            skill=skillset.skill.path or skillset.skill.name,
            status="running",
            data_dir=data_dir,
        )
        payload = {"inputs": dict(inputs), "started_at": now()}
        return await _drive(run, payload, skill=skillset, db=db, data_dir=data_dir)


async def resume(
    thread_id: str,
    answers: Mapping[str, Any] | None = None,
    *,
    model: ChatModel,
    skill: str | Path | SkillSet | None = None,
    db: str | None = None,
    data_dir: Path | None = None,
    tools: Sequence[BaseTool] = (),
    skill_paths: Sequence[Path] = (),
    settings: GraphSettings | None = None,
    policy: Policy | None = None,
    recursion_limit: int = DEFAULT_RECURSION_LIMIT,
) -> RunResult:
    """Answer a paused run's questions (by id), or continue a run whose process died.

    A paused run needs ``answers``; a run that stopped mid-way (killed process,
    model fault) continues from its last checkpoint with ``answers=None``.
    """
    if skill is None:
        info = await get_thread(db, thread_id, data_dir=data_dir)
        if info is None:
            raise UnknownThreadError(f"no run with thread id '{thread_id}' in this database")
        skill = info.skill
    skillset = resolve_skill(skill, skill_paths)
    async with _open(
        skillset,
        thread_id,
        model=model,
        db=db,
        data_dir=data_dir,
        tools=tools,
        settings=settings,
        policy=policy,
        recursion_limit=recursion_limit,
    ) as run:
        snapshot = await run.graph.aget_state(run.config)
        if not snapshot.values:
            raise UnknownThreadError(f"no run with thread id '{thread_id}' in this database")
        _same_skill(thread_id, snapshot.values, skillset)
        if snapshot.interrupts:
            payload: Any = _answer_command(thread_id, snapshot.interrupts[0], answers)
        elif snapshot.next and answers is None:
            payload = None  # the process died mid-run: pick up at the last checkpoint
        else:
            status = snapshot.values.get("status", "unknown")
            raise RunNotPausedError(
                f"thread '{thread_id}' is not paused (status: {status}); nothing to resume"
            )
        return await _drive(run, payload, skill=skillset, db=db, data_dir=data_dir)


def _same_skill(thread_id: str, values: Mapping[str, Any], skillset: SkillSet) -> None:
    """Refuse to resume with a skill file that changed since the run started."""
    log = values.get("audit_log", [])
    loaded = next((e["data"] for e in log if e["kind"] == "skill_loaded"), None)
    if loaded is not None and loaded.get("content_hash") != skillset.skill.content_hash:
        raise UserError(
            f"thread '{thread_id}' started with another version of skill "
            f"'{skillset.skill.name}' (content hash {str(loaded.get('content_hash'))[:12]}…, "
            f"now {skillset.skill.content_hash[:12]}…); restore that file to resume"
        )


def _answer_command(
    thread_id: str, interrupt: Interrupt, answers: Mapping[str, Any] | None
) -> Command[Any]:
    """The resume command for a paused run, after checking every answered id was asked."""
    known = {q["id"] for q in _questions([interrupt])}
    if not answers:
        raise UnknownQuestionError(
            f"thread '{thread_id}' is waiting for answers to: {', '.join(sorted(known))}"
        )
    unknown = sorted(set(answers) - known)
    if unknown:
        raise UnknownQuestionError(
            f"thread '{thread_id}': unknown question id(s) {', '.join(unknown)}; "
            f"pending: {', '.join(sorted(known))}"
        )
    return Command(resume={interrupt.id: dict(answers)})


async def read_state(
    thread_id: str, *, db: str | None = None, data_dir: Path | None = None
) -> tuple[dict[str, Any], list[Interrupt]]:
    """The latest checkpointed values of a thread and its pending interrupts, without a model."""
    async with open_checkpointer(db, data_dir=data_dir) as saver:
        found = await saver.aget_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        )
    if found is None:
        raise UnknownThreadError(f"no run with thread id '{thread_id}' in this database")
    interrupts = [
        i
        for _task, channel, value in (found.pending_writes or [])
        if channel == "__interrupt__"
        for i in (value if isinstance(value, list) else [value])
        if isinstance(i, Interrupt)
    ]
    return dict(found.checkpoint["channel_values"]), interrupts


async def get_status(
    thread_id: str, *, db: str | None = None, data_dir: Path | None = None
) -> RunResult:
    """Where a stored run stands (no model needed)."""
    values, interrupts = await read_state(thread_id, db=db, data_dir=data_dir)
    return await _status(thread_id, values, interrupts, db=db, data_dir=data_dir)


async def _status(
    thread_id: str,
    values: dict[str, Any],
    interrupts: list[Interrupt],
    *,
    db: str | None,
    data_dir: Path | None,
) -> RunResult:
    info = await get_thread(db, thread_id, data_dir=data_dir)
    failed = info is not None and info.status == "failed"
    error = "the last call failed; resume to continue from the last checkpoint" if failed else None
    return result_of(thread_id, values, interrupts, error)


async def export_transcript(
    thread_id: str,
    *,
    db: str | None = None,
    data_dir: Path | None = None,
    include_scratchpad: bool = False,
) -> Transcript:
    """The run's transcript document (scratchpad left out unless asked for)."""
    values, interrupts = await read_state(thread_id, db=db, data_dir=data_dir)
    status = await _status(thread_id, values, interrupts, db=db, data_dir=data_dir)
    return build_transcript(
        thread_id,
        values,
        status=status.status,
        usage=status.usage,
        include_scratchpad=include_scratchpad,
    )
