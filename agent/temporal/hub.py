"""``skillweave serve --engine temporal://…``: the web inbox and HTTP API over Temporal runs.

The server's :class:`~agent.http.runs.RunHub` drives runs in its own process;
this one hands starts and answers to the workers instead (the run's workflow and
its ``answer`` update) and reads a run's status from its workflow. Everything
else (lists, state, transcripts, the event stream) reads the run database, which
must be the workers' one (``serve --db``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any

from temporalio.client import Client

from agent.access import Principal
from agent.engine import api
from agent.engine.answers import Answer, HITLResponse, as_answer
from agent.errors import UnknownThreadError
from agent.http.runs import RunHub
from agent.http.settings import ServerSettings
from agent.temporal.client import answer_run, connect, run_status, start_run
from agent.temporal.messages import StartRequest


class TemporalHub(RunHub):
    """A hub whose runs advance on Temporal workers."""

    def __init__(self, settings: ServerSettings, address: str, task_queue: str) -> None:
        """Runs go to the workers of ``task_queue`` on the server at ``address``."""
        super().__init__(settings)
        self.address = address
        self.task_queue = task_queue
        self._client: Client | None = None
        self._pending: set[asyncio.Task[Any]] = set()

    async def client(self) -> Client:
        """One client per server process, connected on first use."""
        if self._client is None:
            self._client = await connect(self.address)
        return self._client

    async def _within(
        self, thread_id: str, work: Awaitable[api.RunResult], wait: float
    ) -> api.RunResult:
        """``work``'s result if it ends within ``wait`` s, else ``running`` (it goes on)."""
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(asyncio.shield(task), timeout=wait)
        return api.RunResult(thread_id, "running")

    async def start(
        self,
        principal: Principal,
        skill: str,
        inputs: Mapping[str, Any],
        *,
        evidence: str | None = None,
        model: str | None = None,
    ) -> api.RunResult:
        """Start the run's workflow; its result once it pauses, ends or the wait is up."""
        self._known(skill)
        request = self._request(principal, skill, inputs, evidence, model)
        thread_id = uuid.uuid4().hex
        work = start_run(await self.client(), thread_id, request, self.task_queue)
        return await self._within(thread_id, work, self.settings.start_wait)

    def _request(
        self,
        principal: Principal,
        skill: str,
        inputs: Mapping[str, Any],
        evidence: str | None,
        model: str | None,
    ) -> StartRequest:
        """The workers' start request, checked like the embedded hub's, paths made absolute."""
        evidence_dir = self._evidence(evidence)
        self._check_model(model)
        return StartRequest(
            skill=skill,
            inputs=dict(inputs),
            model=model or self.settings.model,
            evidence=str(evidence_dir) if evidence_dir else None,
            skill_paths=[str(p.resolve()) for p in self.settings.skill_paths],
            principal=principal.name if self.settings.tokens is not None else None,
        )

    async def answer(
        self,
        principal: Principal,
        thread_id: str,
        answers: Mapping[str, str | HITLResponse],
        wait: float | None = None,
    ) -> api.RunResult:
        """Send the answers (text, or decisions for an approval) as the run's ``answer`` update.

        Refusals are the engine's errors, raised by the update's validator.
        """
        given: dict[str, Answer] = {k: as_answer(v, principal.name) for k, v in answers.items()}
        work = answer_run(await self.client(), thread_id, given)
        wait = self.settings.answer_wait if wait is None else wait
        return await self._within(thread_id, work, wait)

    async def status(self, thread_id: str) -> api.RunResult:
        """The workflow's view (``running`` during an advance); the database's for other runs."""
        try:
            return await run_status(await self.client(), thread_id)
        except UnknownThreadError:
            return await super().status(thread_id)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """For the server's life; then stop waiting for what is on its way (workers go on)."""
        try:
            yield
        finally:
            for task in self._pending:
                task.cancel()
