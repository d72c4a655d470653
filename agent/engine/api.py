"""Start, answer, resume and inspect runs: the one engine every front door drives.

A run is a LangGraph thread in the run database, with its recipe beside it, so
any process on any machine continues it from the thread id alone. The graph is
compiled once per skill version; the model, the tools and the journal reach it
per run as LangGraph's runtime context. Every call that advances a thread holds
the per-thread lock, writes checkpoints with durability "sync", journals model
and tool calls so a re-run node never repeats them, and afterwards sends what
humans approved through the outbox, whoever called.

:func:`run_events` is the one path: it yields typed events as the run goes and
ends with a ``status`` event; :func:`start` and :func:`resume` drain it.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.errors import GraphRecursionError
from langgraph.types import Command, Interrupt

from agent._data import data_dir_path
from agent.engine import outbox
from agent.engine._export import accepted_attempts, build_transcript
from agent.engine._scripted import scripted_model
from agent.engine.answers import Answer, check_answers
from agent.engine.events import RunEvent, from_custom, from_update
from agent.engine.journal import (
    MODEL_KINDS,
    StoreEffects,
    StoreJournal,
    effect_records,
    open_ledger,
)
from agent.engine.recipe import (
    Recipe,
    make_recipe,
    portable_spec,
    recipe_policy,
    recipe_settings,
    resolve_recipe,
)
from agent.engine.store import RunStore, ThreadInfo, open_store
from agent.engine.transcript import Transcript
from agent.errors import (
    RunNotPausedError,
    SkillweaveError,
    ThreadBusyError,
    UnknownQuestionError,
    UnknownThreadError,
    UserError,
)
from agent.graph._context import SYSTEM_CLOCK, Clock, GraphSettings, RunContext, iso, now
from agent.graph.compile import compile_skill
from agent.graph.questions import LEGACY_PAUSE, is_legacy_pause, question_of
from agent.llm._usage import usage_of
from agent.llm.base import ChatModel
from agent.plugins import ACTION_WEBHOOK_ENV, ToolContext, load_tools
from agent.skill.library import Library, SkillSet, default_skill_paths
from agent.skill.policy import Policy

Status = Literal["completed", "paused", "blocked", "failed", "running"]
DEFAULT_RECURSION_LIMIT = 200
"""Supersteps per call before a run counts as a runaway loop (LangGraph's default is 10007)."""

ModelArg = ChatModel | str | None
"""A model object, a model spec (``scripted:PATH``, ``openai:NAME``…), or None for the recipe's."""


@dataclass(frozen=True)
class RunResult:
    """Where a run stands after a call: finished, waiting for answers, halted or failed.

    ``failure`` says what failed (``type``, ``message``, ``node``) when ``status`` is failed.
    """

    thread_id: str
    status: Status
    questions: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    failure: dict[str, Any] | None = None
    model: str = ""
    """Which model answered (``scripted:…`` and ``replay:…`` mean no model was called)."""
    timers: list[dict[str, Any]] = field(default_factory=list)
    """Deadlines applied and reminders that came due, in order (each names its rule)."""


def _usage(values: Mapping[str, Any], failure: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Usage by call purpose and in total; a failed node's spent calls count too.

    ``reported`` is False when a server gave no usage for some call (its tokens are
    estimates).
    """
    by_node = {k: dict(v) for k, v in values.get("usage", {}).items()}
    if failure and failure.get("usage"):
        by_node[f"failed:{failure.get('node') or 'run'}"] = dict(failure["usage"])
    total = {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0, "estimated_calls": 0}
    for row in by_node.values():
        for key in total:
            total[key] += int(row.get(key, 0))
    return {"total": total, "by_node": by_node, "reported": total["estimated_calls"] == 0}


def _asked(interrupts: Sequence[Interrupt]) -> list[tuple[Interrupt, dict[str, Any]]]:
    """The pending interrupts that ask a question, each with its question record."""
    return [(i, q) for i in interrupts if (q := question_of(i.value)) is not None]


def _questions(interrupts: Sequence[Interrupt]) -> list[dict[str, Any]]:
    return [q for _, q in _asked(interrupts)]


def result_of(
    thread_id: str,
    values: Mapping[str, Any],
    interrupts: Sequence[Interrupt],
    failure: dict[str, Any] | None = None,
) -> RunResult:
    """A :class:`RunResult` from a checkpoint's values, pending interrupts and any failure."""
    questions = _questions(interrupts)
    state_status = values.get("status")
    status: Status
    legacy = any(is_legacy_pause(i.value) for i in interrupts)
    if failure is not None:
        status = "failed"
    elif questions or legacy:
        status = "paused"
    elif state_status in ("completed", "blocked"):
        status = state_status
    else:
        status = "failed"
        failure = {
            "type": "Interrupted",
            "message": "the process driving the run stopped before it finished",
            "node": None,
        }
    return RunResult(
        thread_id=thread_id,
        status=status,
        questions=questions,
        outputs=dict(values.get("outputs", {})) if status == "completed" else {},
        violations=list(values.get("violations", [])),
        usage=_usage(values, failure),
        error=f"thread '{thread_id}' {LEGACY_PAUSE}"
        if legacy and not failure
        else _error_text(failure),
        failure=failure,
        model=str(values.get("model") or ""),
        timers=[dict(t) for t in values.get("timers", [])],
    )


def _error_text(failure: dict[str, Any] | None) -> str | None:
    if failure is None:
        return None
    node = f" in {failure['node']}" if failure.get("node") else ""
    return f"{failure['type']}{node}: {failure['message']}"


def resolve_skill(skill: str | Path | SkillSet, skill_paths: Sequence[Path] = ()) -> SkillSet:
    """A name, a path or an already resolved set, resolved on the skills path."""
    if isinstance(skill, SkillSet):
        return skill
    return Library(default_skill_paths(skill_paths)).resolve(str(skill))


def _config(thread_id: str, recursion_limit: int) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}, "recursion_limit": recursion_limit}


@dataclass
class _Run:
    """One call's view of a thread: the bound graph, its context and its recipe."""

    store: RunStore
    thread_id: str
    skillset: SkillSet
    recipe: Recipe
    policy: Policy | None
    context: RunContext
    config: RunnableConfig

    @functools.cached_property
    def graph(self) -> Any:
        """The skill's cached graph bound to this store, built once per call."""
        graph = compile_skill(
            self.skillset, policy=self.policy, settings=recipe_settings(self.recipe)
        )
        return graph.copy(update={"checkpointer": self.store.saver})


async def _model(run_store: RunStore, thread_id: str, recipe: Recipe, model: ModelArg) -> ChatModel:
    """The run's model: the one given, else built from the recipe's spec (a script at its place)."""
    if model is not None and not isinstance(model, str):
        return model
    spec = model or recipe.model
    if spec is None:
        raise UserError(
            f"run '{thread_id}' was started with a model object given in code "
            f"({recipe.model_name}); pass model= (or --model SPEC) to continue it"
        )
    if spec.startswith("scripted:"):
        used = await run_store.journal_counts(thread_id, MODEL_KINDS)
        base = recipe.script_base
        since = {p: n - base.get(p, 0) for p, n in used.items()}
        return scripted_model(Path(spec.removeprefix("scripted:")), since)
    from agent.llm.spec import build_model

    return build_model(spec)


def _tools(
    ledger: Any,
    thread_id: str,
    skillset: SkillSet,
    recipe: Recipe,
    tools: Sequence[BaseTool] | None,
    data_dir: Path | None,
) -> tuple[BaseTool, ...]:
    if tools is not None:
        return tuple(tools)
    if recipe.tools_in_code:
        raise UserError(
            f"run '{thread_id}' was started with tools given in code; pass tools= to continue it"
        )
    ctx = ToolContext.from_env(
        data_dir_path(data_dir),
        thread_id,
        Path(recipe.evidence) if recipe.evidence else None,
        effects=StoreEffects(ledger),
    )
    return tuple(load_tools(skillset.skill, ctx, [Path(d) for d in recipe.tools_dirs]))


async def _prepare(
    run_store: RunStore,
    thread_id: str,
    skillset: SkillSet,
    recipe: Recipe,
    *,
    model: ModelArg,
    tools: Sequence[BaseTool] | None,
    data_dir: Path | None,
    recursion_limit: int,
    clock: Clock = SYSTEM_CLOCK,
    new: bool = False,
) -> _Run:
    switched = portable_spec(model) if isinstance(model, str) else None
    if switched is not None and switched != recipe.model and recipe.model is not None:
        # Another model takes over from here on: later calls continue with it.
        counts = await run_store.journal_counts(thread_id, MODEL_KINDS)
        recipe = recipe.model_copy(update={"model": switched, "script_base": counts})
        await run_store.update_run(
            thread_id, status="running", recipe=recipe.model_dump(mode="json")
        )
        model = switched
    chat = await _model(run_store, thread_id, recipe, model)
    ledger = await open_ledger(run_store, thread_id, new=new)
    journal = StoreJournal(ledger)
    context = RunContext(
        model=chat,
        tools=journal.wrap(_tools(ledger, thread_id, skillset, recipe, tools, data_dir)),
        journal=journal,
        clock=clock,
    )
    return _Run(
        run_store,
        thread_id,
        skillset,
        recipe,
        recipe_policy(recipe),
        context,
        _config(thread_id, recursion_limit),
    )


@dataclass
class _Last:
    """The thread's state as the run's own stream left it: what a re-read would return.

    The last ``values`` chunk is the last checkpoint's values and ``__interrupt__``
    updates are its pending interrupts, so a run that ends or pauses needs no read
    of the checkpoint it just wrote.
    """

    values: dict[str, Any] | None = None
    interrupts: list[Interrupt] = field(default_factory=list)

    def see(self, mode: str, chunk: Any) -> None:
        if mode == "values" and isinstance(chunk, dict):
            self.values = chunk
        elif mode == "updates" and isinstance(chunk, dict) and "__interrupt__" in chunk:
            self.interrupts.extend(chunk["__interrupt__"])


async def _drive(run: _Run, payload: Any) -> AsyncIterator[RunEvent]:
    """Advance the thread until it ends or pauses, yielding events; then record and send."""
    graph = run.graph
    failure: dict[str, Any] | None = None
    last: _Last = _Last()
    try:
        async for ns, mode, chunk in graph.astream(
            payload,
            run.config,
            context=run.context,
            stream_mode=["updates", "custom", "values"],
            durability="sync",
            subgraphs=True,
        ):
            if not ns:
                last.see(mode, chunk)
            if mode == "values":
                continue
            convert = from_custom if mode == "custom" else from_update
            for event in convert(run.thread_id, chunk):
                yield event
    except GraphRecursionError:
        failure = {
            "type": "RunawayLoop",
            "message": f"the run exceeded {run.config['recursion_limit']} steps "
            "(recursion_limit); the audit log shows the repeating steps",
            "node": None,
        }
    except SkillweaveError as exc:
        failure = {"type": type(exc).__name__, "message": str(exc), "node": None}
        spent = usage_of(exc)
        if spent.calls:
            failure["usage"] = {k: v for k, v in spent.model_dump().items() if v}
    values, interrupts = last.values, last.interrupts
    if failure is not None or values is None:
        snapshot = await graph.aget_state(run.config)
        values, interrupts = snapshot.values, list(snapshot.interrupts)
        if failure is not None and snapshot.next:
            failure["node"] = snapshot.next[0]
    result = result_of(run.thread_id, values, interrupts, failure)
    result = replace(result, outputs=_in_skill_order(result.outputs, run.skillset))
    await run.store.update_run(run.thread_id, status=result.status, error=failure)
    await _send_approved(run, values)
    yield RunEvent(thread_id=run.thread_id, kind="status", at=now(), data=asdict(result))


def _in_skill_order(outputs: dict[str, Any], skillset: SkillSet) -> dict[str, Any]:
    """Outputs in the order of the skill's Outputs table, then any others by name."""
    declared = [o.name for o in skillset.skill.outputs if o.name in outputs]
    return {k: outputs[k] for k in [*declared, *sorted(set(outputs) - set(declared))]}


async def _send_approved(run: _Run, values: Mapping[str, Any]) -> None:
    url = os.environ.get(ACTION_WEBHOOK_ENV)
    if not url:
        return
    policy = run.policy
    if policy is None and run.skillset.skill.path:
        from agent.skill.policy import load_policy

        policy = load_policy(Path(run.skillset.skill.path))
    await outbox.queue_approved(run.store, run.thread_id, values, policy)
    await outbox.flush(run.store, run.thread_id, url)


def _answer_command(
    thread_id: str, interrupts: Sequence[Interrupt], answers: Mapping[str, Answer] | None
) -> Command[Any]:
    """The resume command for a paused run, after checking every answer.

    Each question is its own interrupt: the command resumes the answered ones by
    interrupt id; the others keep waiting.
    """
    asked = _asked(interrupts)
    if not asked and any(is_legacy_pause(i.value) for i in interrupts):
        raise RunNotPausedError(f"thread '{thread_id}' {LEGACY_PAUSE}")
    questions = [q for _, q in asked]
    known = ", ".join(f"{q.get('alias', q['id'])} ({q['id']})" for q in questions)
    if not answers:
        raise UnknownQuestionError(f"thread '{thread_id}' is waiting for answers to: {known}")
    checked = check_answers(thread_id, questions, answers)
    return Command(resume={i.id: checked[q["id"]] for i, q in asked if q["id"] in checked})


async def run_events(
    thread_id: str | None = None,
    answers: Mapping[str, Answer] | None = None,
    *,
    skill: str | Path | SkillSet | None = None,
    inputs: Mapping[str, Any] | None = None,
    model: ModelArg = None,
    db: str | None = None,
    data_dir: Path | None = None,
    evidence: Path | None = None,
    tools: Sequence[BaseTool] | None = None,
    tools_dirs: Sequence[Path] = (),
    skill_paths: Sequence[Path] = (),
    settings: GraphSettings | None = None,
    policy: Policy | None = None,
    principal: str | None = None,
    recursion_limit: int = DEFAULT_RECURSION_LIMIT,
    clock: Clock | None = None,
) -> AsyncIterator[RunEvent]:
    """Drive a run and yield its events; ``inputs`` starts a new one, else the thread resumes.

    Starting takes ``skill`` and ``inputs`` (and optionally everything the recipe
    records); continuing takes only the thread id, plus ``answers`` for a paused
    run. ``model``/``tools`` given in code override the recipe's for this call.
    ``clock`` is the run's time for this call (questions' deadlines; the system's
    by default).
    """
    clock = clock or SYSTEM_CLOCK
    async with AsyncExitStack() as stack:
        run_store = await stack.enter_async_context(open_store(db, data_dir=data_dir))
        if inputs is not None:
            if skill is None:
                raise UserError("starting a run needs a skill")
            skillset = resolve_skill(skill, skill_paths)
            thread_id = thread_id or uuid.uuid4().hex
            await stack.enter_async_context(run_store.lock(thread_id))
            recipe = make_recipe(
                skillset,
                inputs=dict(inputs),
                skill_paths=skill_paths,
                model_spec=model if isinstance(model, str) else None,
                model_name=getattr(model, "name", "") if model is not None else "",
                tools_in_code=tools is not None,
                tools_dirs=tools_dirs,
                evidence=evidence,
                policy=policy,
                settings=settings,
            )
            if recipe.model is None and (model is None or isinstance(model, str)):
                recipe.model = os.environ.get("SKILLWEAVE_MODEL") or None
            await run_store.create_run(
                thread_id,
                skill=skillset.skill.name,
                recipe=recipe.model_dump(mode="json"),
                principal=principal,
            )
            run = await _prepare(
                run_store,
                thread_id,
                skillset,
                recipe,
                model=model,
                tools=tools,
                data_dir=data_dir,
                recursion_limit=recursion_limit,
                clock=clock,
                new=True,
            )
            yield RunEvent(
                thread_id=thread_id, kind="run_started", at=now(), skill=skillset.skill.name
            )
            payload: Any = {"inputs": dict(inputs), "started_at": iso(clock.now())}
        else:
            if thread_id is None:
                raise UserError("continuing a run needs its thread id")
            info = await _owned(run_store, thread_id, principal)
            await stack.enter_async_context(run_store.lock(thread_id))
            recipe = Recipe.model_validate(info.recipe)
            skillset = resolve_recipe(thread_id, recipe)
            run = await _prepare(
                run_store,
                thread_id,
                skillset,
                recipe,
                model=model,
                tools=tools,
                data_dir=data_dir,
                recursion_limit=recursion_limit,
                clock=clock,
            )
            payload = await _continue(run, answers, info.status)
        async for event in _drive(run, payload):
            yield event


async def _owned(run_store: RunStore, thread_id: str, principal: str | None) -> ThreadInfo:
    """The run's row; another principal's run is reported as unknown (it is not theirs to see)."""
    info = await run_store.require_run(thread_id)
    if principal is not None and info.principal not in (None, principal):
        raise UnknownThreadError(
            f"no run with thread id '{thread_id}' in the run database "
            f"{run_store.database.describe()}"
        )
    return info


async def _continue(run: _Run, answers: Mapping[str, Answer] | None, recorded: str) -> Any:
    """What to feed the graph: answers for a paused run, nothing for a stopped one.

    Whether a run can go on is read from the checkpoint and its saved writes, not from
    ``next`` alone: a process killed after a node's writes were saved but before the
    next checkpoint leaves ``next`` empty although the graph has work left.
    """
    snapshot = await run.graph.aget_state(run.config)
    if not snapshot.values:
        # Killed before the first checkpoint: start over from the recipe's inputs.
        return {"inputs": dict(run.recipe.inputs), "started_at": iso(run.context.clock.now())}
    if snapshot.interrupts:
        return _answer_command(run.thread_id, snapshot.interrupts, answers)
    status = snapshot.values.get("status")
    if status in ("completed", "blocked") and recorded == status:
        raise RunNotPausedError(
            f"thread '{run.thread_id}' has ended (status: {status}); nothing to resume"
        )
    if answers:
        raise RunNotPausedError(
            f"thread '{run.thread_id}' is not waiting for answers (it stopped mid-run); "
            "resume it without answers"
        )
    return None


EventSink = Callable[[RunEvent], None]
"""Who else sees a run's events as they happen (a server's live views)."""


async def _last(events: AsyncIterator[RunEvent], on_event: EventSink | None = None) -> RunResult:
    result: RunResult | None = None
    async for event in events:
        if on_event is not None:
            on_event(event)
        if event.kind == "status":
            result = RunResult(**event.data)
    assert result is not None
    return result


async def start(
    skill: str | Path | SkillSet,
    inputs: Mapping[str, Any],
    thread_id: str | None = None,
    *,
    model: ModelArg = None,
    db: str | None = None,
    data_dir: Path | None = None,
    evidence: Path | None = None,
    tools: Sequence[BaseTool] | None = None,
    tools_dirs: Sequence[Path] = (),
    skill_paths: Sequence[Path] = (),
    settings: GraphSettings | None = None,
    policy: Policy | None = None,
    principal: str | None = None,
    recursion_limit: int = DEFAULT_RECURSION_LIMIT,
    clock: Clock | None = None,
) -> RunResult:
    """Run ``skill`` on ``inputs`` in a new thread until it finishes or needs a human.

    ``model`` is a model object or spec (default ``SKILLWEAVE_MODEL``); ``tools``
    replaces the skill's plugin tools (built over ``evidence``); ``policy``
    overrides the ``policy.yaml`` beside the skill. All of it is recorded in the
    run's recipe, so :func:`resume` needs only the thread id.
    """
    return await _last(
        run_events(
            thread_id,
            skill=skill,
            inputs=inputs,
            model=model,
            db=db,
            data_dir=data_dir,
            evidence=evidence,
            tools=tools,
            tools_dirs=tools_dirs,
            skill_paths=skill_paths,
            settings=settings,
            policy=policy,
            principal=principal,
            recursion_limit=recursion_limit,
            clock=clock,
        )
    )


async def resume(
    thread_id: str,
    answers: Mapping[str, Answer] | None = None,
    *,
    model: ModelArg = None,
    db: str | None = None,
    data_dir: Path | None = None,
    tools: Sequence[BaseTool] | None = None,
    principal: str | None = None,
    recursion_limit: int = DEFAULT_RECURSION_LIMIT,
    clock: Clock | None = None,
) -> RunResult:
    """Answer a paused run's questions (by id or alias), or continue a run that stopped.

    A paused run needs ``answers``; a run that stopped mid-way (killed process,
    model outage) continues from its last checkpoint with ``answers=None``,
    without repeating a model call that was answered or a tool call that ran.
    """
    return await _last(
        run_events(
            thread_id,
            answers,
            model=model,
            db=db,
            data_dir=data_dir,
            tools=tools,
            principal=principal,
            recursion_limit=recursion_limit,
            clock=clock,
        )
    )


async def read_state(
    thread_id: str, *, db: str | None = None, data_dir: Path | None = None
) -> tuple[dict[str, Any], list[Interrupt]]:
    """The latest checkpointed values of a thread and its pending interrupts, without a model."""
    async with open_store(db, data_dir=data_dir) as run_store:
        return await _read(run_store, thread_id)


async def _read(run_store: RunStore, thread_id: str) -> tuple[dict[str, Any], list[Interrupt]]:
    found = await run_store.saver.aget_tuple(
        {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    )
    if found is None:
        await run_store.require_run(thread_id)
        return {}, []
    writes = found.pending_writes or []
    # A task that wrote anything but its interrupt has been answered (its writes are
    # saved, the next checkpoint is not): its old interrupt no longer waits.
    done = {task for task, channel, _ in writes if channel not in ("__interrupt__", "__resume__")}
    interrupts = [
        i
        for task, channel, value in writes
        if channel == "__interrupt__" and task not in done
        for i in (value if isinstance(value, list) else [value])
        if isinstance(i, Interrupt)
    ]
    return dict(found.checkpoint["channel_values"]), interrupts


async def _snapshot(
    run_store: RunStore, thread_id: str, info: ThreadInfo
) -> tuple[dict[str, Any], list[Interrupt]]:
    """The thread as its graph sees it (saved writes applied); the raw checkpoint otherwise.

    Reading through the compiled graph makes ``status`` agree with what a resume
    will do; a recipe whose skill file is gone still gets the stored state.
    """
    try:
        recipe = Recipe.model_validate(info.recipe)
        skillset = resolve_recipe(thread_id, recipe)
    except (UserError, ValueError):
        return await _read(run_store, thread_id)
    graph = compile_skill(skillset, policy=recipe_policy(recipe), settings=recipe_settings(recipe))
    bound = graph.copy(update={"checkpointer": run_store.saver})
    snapshot = await bound.aget_state(_config(thread_id, DEFAULT_RECURSION_LIMIT))
    return dict(snapshot.values), list(snapshot.interrupts)


async def _status(run_store: RunStore, thread_id: str, info: ThreadInfo) -> RunResult:
    values, interrupts = await _snapshot(run_store, thread_id, info)
    result = result_of(thread_id, values, interrupts, info.error)
    if result.status in ("completed", "blocked") and info.status != result.status:
        # Its last node ran but the end was never recorded (killed): resume finishes it.
        result = result_of(thread_id, {**values, "status": "running"}, [], None)
    if result.status == "failed" and info.error is None:
        try:
            async with run_store.lock(thread_id):
                pass
        except ThreadBusyError:
            return RunResult(thread_id, "running", usage=result.usage)
    return result


async def get_status(
    thread_id: str,
    *,
    db: str | None = None,
    data_dir: Path | None = None,
    principal: str | None = None,
) -> RunResult:
    """Where a stored run stands (no model needed); ``running`` while another driver has it."""
    async with open_store(db, data_dir=data_dir) as run_store:
        info = await _owned(run_store, thread_id, principal)
        return await _status(run_store, thread_id, info)


async def run_info(
    thread_id: str, *, db: str | None = None, data_dir: Path | None = None
) -> ThreadInfo:
    """One run's row (skill, owner, status, recipe); an unknown thread names the database."""
    async with open_store(db, data_dir=data_dir) as run_store:
        return await run_store.require_run(thread_id)


async def list_runs(
    *,
    db: str | None = None,
    data_dir: Path | None = None,
    status: str | None = None,
    principal: str | None = None,
    limit: int = 100,
) -> list[ThreadInfo]:
    """The runs in the database, newest first (one principal's when given)."""
    async with open_store(db, data_dir=data_dir) as run_store:
        return await run_store.list_runs(status=status, principal=principal, limit=limit)


async def export_transcript(
    thread_id: str,
    *,
    db: str | None = None,
    data_dir: Path | None = None,
    include_scratchpad: bool = False,
    principal: str | None = None,
) -> Transcript:
    """The run's transcript document (scratchpad left out unless asked for)."""
    async with open_store(db, data_dir=data_dir) as run_store:
        info = await _owned(run_store, thread_id, principal)
        values, _ = await _read(run_store, thread_id)
        status = await _status(run_store, thread_id, info)
        journal = await run_store.journal_entries(thread_id)
    recipe = Recipe.model_validate(info.recipe)
    return build_transcript(
        thread_id,
        values,
        status=status.status,
        usage=status.usage,
        include_scratchpad=include_scratchpad,
        recipe=recipe,
        failure=status.failure,
        effects=effect_records(journal, *accepted_attempts(values)),
    )


def transcript_of_state(
    thread_id: str,
    values: Mapping[str, Any],
    interrupts: Sequence[Mapping[str, Any]],
    *,
    include_scratchpad: bool = False,
) -> Transcript:
    """The transcript of a thread another server keeps (LangGraph Server's thread state).

    ``values`` and ``interrupts`` are the state as that server returns it (JSON);
    nothing is read from a run database, so no recipe names the model.
    """
    pending = [Interrupt(value=i.get("value"), id=str(i.get("id") or "")) for i in interrupts]
    result = result_of(thread_id, values, pending)
    return build_transcript(
        thread_id,
        dict(values),
        status=result.status,
        usage=result.usage,
        include_scratchpad=include_scratchpad,
        failure=result.failure,
    )
