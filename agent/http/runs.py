"""The server's side of the engine: drives runs in the background and fans their events out.

A POST starts or answers a run by handing it to :class:`RunHub`, which drives
:func:`agent.engine.api.run_events` in a task of its own, so the run goes on after
the request has been answered and every subscriber (the SSE streams) sees its
events. One drive per thread at a time: a second one is refused at once
(:class:`~agent.errors.ThreadBusyError`), and the engine's thread lock refuses one
from another process. Visibility is checked here, not in the engine, so that team
members see each other's runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.access import Principal, under_roots
from agent.engine import api
from agent.engine.answers import Answer, HITLResponse, as_answer
from agent.engine.events import RunEvent
from agent.engine.store import ThreadInfo, open_store
from agent.errors import (
    ModelError,
    RunNotPausedError,
    SkillweaveError,
    ThreadBusyError,
    UnknownQuestionError,
    UnknownThreadError,
    UserError,
)
from agent.http.settings import ServerSettings
from agent.skill.library import Library, default_skill_paths

log = logging.getLogger("skillweave.http")
TERMINAL = ("completed", "blocked", "failed")


@dataclass
class Drive:
    """One background advance of a run: ``started`` resolves once the engine accepted it."""

    started: asyncio.Future[None]
    done: asyncio.Event = field(default_factory=asyncio.Event)
    result: api.RunResult | None = None


class RunHub:
    """Drives runs for the server and hands their live events to subscribers."""

    def __init__(self, settings: ServerSettings) -> None:
        """A hub with no drives and no subscribers yet."""
        self.settings = settings
        self._drives: dict[str, Drive] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscribers: dict[str, set[asyncio.Queue[RunEvent]]] = {}

    # --- reading -------------------------------------------------------------------

    def library(self) -> Library:
        """The skills this server offers (re-read per call, so new skills show up)."""
        return Library(default_skill_paths(self.settings.skill_paths))

    async def info(self, thread_id: str, principal: Principal) -> ThreadInfo:
        """The run's registry row, when ``principal`` may see it; else UnknownThreadError."""
        async with open_store(self.settings.db, data_dir=self.settings.data_dir) as store:
            info = await store.get_run(thread_id)
        if info is None or not self.may_see(principal, info):
            raise UnknownThreadError(f"no run with thread id '{thread_id}'")
        return info

    def may_see(self, principal: Principal, info: ThreadInfo) -> bool:
        """Own runs, team mates' runs, and runs started without a principal."""
        book = self.settings.tokens
        team = book.team_of(info.principal) if book is not None and info.principal else None
        return principal.may_see(info.principal, team)

    async def runs(
        self, principal: Principal, status: str | None = None, limit: int = 100
    ) -> list[ThreadInfo]:
        """The runs ``principal`` may see, newest first."""
        found = await api.list_runs(
            db=self.settings.db, data_dir=self.settings.data_dir, status=status, limit=10_000
        )
        return [r for r in found if self.may_see(principal, r)][:limit]

    async def status(self, thread_id: str) -> api.RunResult:
        """Where the run stands (``running`` while this or another process drives it)."""
        if thread_id in self._drives:
            return api.RunResult(thread_id, "running")
        return await api.get_status(thread_id, db=self.settings.db, data_dir=self.settings.data_dir)

    async def state(self, thread_id: str) -> dict[str, Any]:
        """The run's latest checkpointed values (plan, audit log, approvals...)."""
        values, _ = await api.read_state(
            thread_id, db=self.settings.db, data_dir=self.settings.data_dir
        )
        return values

    async def outbox(self, thread_id: str) -> list[dict[str, Any]]:
        """What the engine queued for (or delivered to) the action webhook."""
        async with open_store(self.settings.db, data_dir=self.settings.data_dir) as store:
            return await store.outbox_list(thread_id)

    def busy(self, thread_id: str) -> bool:
        """Whether this server is driving the run right now."""
        return thread_id in self._drives

    # --- driving -------------------------------------------------------------------

    async def start(
        self,
        principal: Principal,
        skill: str,
        inputs: Mapping[str, Any],
        *,
        evidence: str | None = None,
        model: str | None = None,
    ) -> api.RunResult:
        """Start a run in the background; the result once it pauses, ends or the wait is up."""
        self._known(skill)
        evidence_dir = self._evidence(evidence)
        self._check_model(model)
        thread_id = uuid.uuid4().hex
        drive = self._drive(
            thread_id,
            inputs=dict(inputs),
            skill=skill,
            evidence=evidence_dir,
            model=model or self.settings.model,
            skill_paths=self.settings.skill_paths,
            principal=principal.name if self.settings.tokens is not None else None,
        )
        return await self._settle(thread_id, drive, self.settings.start_wait)

    def _known(self, skill: str) -> None:
        """Refuse a skill this server does not serve (before anything is started)."""
        if not self.library().has(skill):
            raise UnknownSkill(f"no skill named '{skill}' on this server")

    def _evidence(self, evidence: str | None) -> Path | None:
        """The evidence folder a caller named, if it exists under the allowed roots."""
        if not evidence:
            return None
        path = Path(evidence)
        if not path.is_dir() or not under_roots(path, self.settings.evidence_roots):
            raise UserError(
                f"evidence {evidence}: no such folder under the server's evidence roots"
            )
        return path.resolve()

    def _check_model(self, model: str | None) -> None:
        """Refuse a model spec the operator did not offer (it could send the key anywhere)."""
        if model is None or model in self.settings.offered_models():
            return
        offered = ", ".join(self.settings.offered_models()) or "none: the server's default only"
        raise UserError(f"model {model!r} is not offered by this server; offered: {offered}")

    async def answer(
        self,
        principal: Principal,
        thread_id: str,
        answers: Mapping[str, str | HITLResponse],
        wait: float | None = None,
    ) -> api.RunResult:
        """Answer a paused run as ``principal``; 409-type errors when it is not waiting."""
        if thread_id in self._drives:
            raise ThreadBusyError(f"run '{thread_id}' is being advanced right now")
        given = {k: as_answer(v, principal.name) for k, v in answers.items()}
        drive = self._drive(thread_id, answers=given)
        try:
            return await self._settle(
                thread_id, drive, self.settings.answer_wait if wait is None else wait
            )
        except UnknownQuestionError:
            if await self._already_answered(thread_id, answers):
                raise RunNotPausedError(
                    f"run '{thread_id}': that question was already answered"
                ) from None
            raise

    async def _already_answered(self, thread_id: str, answers: Mapping[str, object]) -> bool:
        log_ = (await self.state(thread_id)).get("audit_log", [])
        asked = {
            str(e["data"].get(k)): str(e["data"]["id"])
            for e in log_
            if e.get("kind") == "question"
            for k in ("id", "alias")
            if e["data"].get(k)
        }
        answered = {str(e["data"].get("question_id")) for e in log_ if e.get("kind") == "answer"}
        return all(asked.get(k) in answered for k in answers)

    def _drive(
        self, thread_id: str, answers: Mapping[str, Answer] | None = None, **kw: Any
    ) -> Drive:
        loop = asyncio.get_running_loop()
        drive = Drive(started=loop.create_future())
        self._drives[thread_id] = drive
        task = asyncio.create_task(self._run(thread_id, drive, answers, kw))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return drive

    async def _run(
        self,
        thread_id: str,
        drive: Drive,
        answers: Mapping[str, Answer] | None,
        kw: dict[str, Any],
    ) -> None:
        try:
            async for event in api.run_events(
                thread_id, answers, db=self.settings.db, data_dir=self.settings.data_dir, **kw
            ):
                if not drive.started.done():
                    drive.started.set_result(None)
                if event.kind == "status":
                    drive.result = api.RunResult(**event.data)
                    self._drives.pop(thread_id, None)
                self.publish(event)
        except Exception as exc:
            if not drive.started.done():
                drive.started.set_exception(exc)
            else:
                log.error("run %s: drive stopped: %s", thread_id, type(exc).__name__)
        finally:
            if self._drives.get(thread_id) is drive:
                del self._drives[thread_id]
            drive.done.set()

    async def _settle(self, thread_id: str, drive: Drive, wait: float) -> api.RunResult:
        await drive.started
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(drive.done.wait(), timeout=wait)
        return drive.result or api.RunResult(thread_id, "running")

    async def close(self, grace: float = 5.0) -> None:
        """Let running drives finish for ``grace`` seconds, then stop them (they resume later)."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()

    # --- fan-out -------------------------------------------------------------------

    def subscribe(self, thread_id: str) -> asyncio.Queue[RunEvent]:
        """A queue that receives the run's live events from now on."""
        queue: asyncio.Queue[RunEvent] = asyncio.Queue()
        self._subscribers.setdefault(thread_id, set()).add(queue)
        return queue

    def unsubscribe(self, thread_id: str, queue: asyncio.Queue[RunEvent]) -> None:
        """Stop sending to ``queue``."""
        queues = self._subscribers.get(thread_id, set())
        queues.discard(queue)
        if not queues:
            self._subscribers.pop(thread_id, None)

    def publish(self, event: RunEvent) -> None:
        """Hand ``event`` to every subscriber of its run."""
        for queue in self._subscribers.get(event.thread_id, ()):
            queue.put_nowait(event)


def status_of(exc: SkillweaveError) -> int:
    """The HTTP status for an engine error: who has to act, and whether retrying helps."""
    if isinstance(exc, (UnknownThreadError, UnknownSkill)):
        return 404
    if isinstance(exc, (RunNotPausedError, ThreadBusyError)):
        return 409
    if isinstance(exc, UserError):
        return 422
    if isinstance(exc, ModelError):
        return 502
    return 500


class UnknownSkill(UserError):
    """The skill a caller asked for is not on this server's skills path (HTTP 404/422)."""
