"""The run workflow: one per run (workflow id = thread id), a loop of advances.

Each advance is an activity (:mod:`agent.temporal.activities`); between them the
workflow waits for answers, which arrive as the ``answer`` update, or for the
run's next deadline, a workflow timer: when it fires an activity applies what
came due (the policy's fallback or reminder, audited by the engine). While an
advance or a deadline is being applied, answers are refused. The ``answer`` validator
rejects unknown question ids and choices that are not offered, and the handler
takes the first of concurrent answers and refuses the rest, so exactly one wins.
The ``status`` and ``questions`` queries expose where the run stands.

The sandbox re-imports this module for every run: it does no work at import time,
and the engine modules it needs are passed through (shared with the worker's
activities, not re-imported per run).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from agent.engine.answers import Answer, check_answers
    from agent.engine.api import RunResult
    from agent.errors import UserError
    from agent.temporal.messages import WORKFLOW, Advance, StartRequest, asked

ADVANCE_TIMEOUT = timedelta(hours=1)
"""The longest one advance (model calls and tools until the next question) may take."""
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
)
"""Retries after a worker died or the thread was busy; user mistakes are not retried."""
CLOCK_FLOOR = timedelta(seconds=1)
"""The shortest wait for a deadline: a worker's clock a little behind the server's finds
nothing due yet, and the workflow asks again after at least this long."""


@workflow.defn(name=WORKFLOW)
class SkillRun:
    """A skill run driven by workers: advance, wait for answers, advance, until it ends."""

    @workflow.init
    def __init__(self, request: StartRequest) -> None:
        """Nothing has run yet; the first advance starts the run."""
        self._request = request
        self._result: RunResult | None = None
        self._answers: dict[str, Answer] | None = None
        self._busy = True  # until the first advance has ended
        self._advances = 0

    @workflow.run
    async def run(self, request: StartRequest) -> RunResult:
        """Advance until the run is no longer waiting for a human; its last result."""
        result = await self._advance("skillweave.start", [request])
        while result.status == "paused":
            if await self._answered_before_deadline():
                step = Advance(answers=self._answers or {}, asked=asked(result.questions))
                result = await self._advance("skillweave.advance", [step])
                self._answers = None  # applied: the run waits again, or has ended
            else:
                result = await self._advance("skillweave.deadlines", [])
            self._advances += 1
        return result

    async def _answered_before_deadline(self) -> bool:
        """Wait for answers until the run's next deadline; whether answers came first."""
        deadline: datetime | None = await workflow.execute_activity(
            "skillweave.next_deadline",
            result_type=datetime | None,  # type: ignore[arg-type]
            start_to_close_timeout=ADVANCE_TIMEOUT,
            heartbeat_timeout=self._heartbeat(),
            retry_policy=RETRY,
        )
        timeout = None if deadline is None else max(deadline - workflow.now(), CLOCK_FLOOR)
        try:
            await workflow.wait_condition(lambda: self._answers is not None, timeout=timeout)
        except TimeoutError:
            return self._answers is not None
        return True

    async def _advance(self, activity: str, args: list[Any]) -> RunResult:
        """Run one activity that moves the run; answers are refused meanwhile."""
        self._busy = True
        try:
            result: RunResult = await workflow.execute_activity(
                activity,
                args=args,
                result_type=RunResult,
                start_to_close_timeout=ADVANCE_TIMEOUT,
                heartbeat_timeout=self._heartbeat(),
                retry_policy=RETRY,
            )
        finally:
            self._busy = False
        self._result = result
        return result

    def _heartbeat(self) -> timedelta:
        """How long an activity may go silent before it is retried on another worker."""
        return timedelta(seconds=self._request.heartbeat_seconds)

    def _thread(self) -> str:
        return workflow.info().workflow_id

    def _waiting(self) -> bool:
        """Whether the run waits for answers, none are taken yet and nothing is applied."""
        return (
            not self._busy
            and self._result is not None
            and self._result.status == "paused"
            and self._answers is None
        )

    @workflow.update
    async def answer(self, answers: dict[str, Answer]) -> RunResult:
        """Answer the pending questions; the run's result once the advance they start ends."""
        if not self._waiting():  # a concurrent answer got here first
            raise ApplicationError(
                f"run '{self._thread()}' is not waiting for answers: another answer was taken "
                "first",
                type="RunNotPausedError",
            )
        self._answers = self._checked(answers)
        seen = self._advances
        await workflow.wait_condition(lambda: self._advances > seen)
        assert self._result is not None
        return self._result

    @answer.validator
    def _validate_answer(self, answers: dict[str, Answer]) -> None:
        """Refuse answers before they reach history: not waiting, unknown id, bad choice."""
        if not self._waiting():
            busy = self._busy or self._answers is not None
            status = self._result.status if self._result and not busy else "running"
            raise ApplicationError(
                f"run '{self._thread()}' is not waiting for answers (status: {status})",
                type="RunNotPausedError",
            )
        self._checked(answers)

    def _checked(self, answers: dict[str, Answer]) -> dict[str, Answer]:
        """The answers keyed by question id; an unknown id or a bad choice is refused."""
        assert self._result is not None
        try:
            return check_answers(self._thread(), self._result.questions, answers)
        except UserError as exc:
            raise ApplicationError(str(exc), type=type(exc).__name__) from None

    @workflow.update
    async def settled(self) -> RunResult:
        """The run's result once no advance is under way (a front door waits on this)."""
        await workflow.wait_condition(
            lambda: self._result is not None and self._answers is None and not self._busy
        )
        assert self._result is not None
        return self._result

    @workflow.query
    def status(self) -> RunResult:
        """Where the run stands: ``running`` while an advance is under way."""
        if self._result is None or self._answers is not None or self._busy:
            return RunResult(self._thread(), "running")
        return self._result

    @workflow.query
    def questions(self) -> list[dict[str, Any]]:
        """The questions waiting for an answer (none while an advance is under way)."""
        return list(self._result.questions) if self._waiting() and self._result else []
