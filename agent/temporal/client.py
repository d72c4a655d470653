"""The front doors' side: hand runs to the workers and answer them through Temporal.

``run``, ``answer`` and ``serve`` call these with ``--engine temporal://HOST:PORT``:
a run becomes a workflow (workflow id = thread id) and a front door waits for the
advance it started to end, as it would for an embedded run.
"""

from __future__ import annotations

from collections.abc import Mapping

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from agent.engine.answers import Answer
from agent.engine.api import RunResult
from agent.errors import (
    RunNotPausedError,
    UnknownQuestionError,
    UnknownThreadError,
    UserError,
)
from agent.temporal.messages import WORKFLOW, StartRequest
from agent.temporal.worker import connect

__all__ = ["answer_run", "connect", "run_status", "start_run"]

_ERRORS: dict[str, type[UserError]] = {
    "RunNotPausedError": RunNotPausedError,
    "UnknownQuestionError": UnknownQuestionError,
}


async def start_run(
    client: Client, thread_id: str, request: StartRequest, task_queue: str
) -> RunResult:
    """Start the run's workflow and wait until its first advance pauses or ends the run."""
    try:
        handle = await client.start_workflow(
            WORKFLOW,
            request,
            id=thread_id,
            task_queue=task_queue,
            result_type=RunResult,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.ALREADY_EXISTS:
            raise UserError(f"thread '{thread_id}' already exists") from None
        raise
    return await settled(handle)


async def settled(handle: WorkflowHandle[object, RunResult]) -> RunResult:
    """The run's result once no advance is under way; the final one when the run has ended."""
    try:
        result: RunResult = await handle.execute_update("settled", result_type=RunResult)
        return result
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    return await _final(handle)


async def _final(handle: WorkflowHandle[object, RunResult]) -> RunResult:
    try:
        description = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownThreadError(f"no run with thread id '{handle.id}' on Temporal") from None
        raise
    if description.status != WorkflowExecutionStatus.COMPLETED:
        raise UnknownThreadError(
            f"run '{handle.id}' is not running on Temporal (workflow {description.status})"
        )
    return await handle.result()


def run_handle(client: Client, thread_id: str) -> WorkflowHandle[object, RunResult]:
    """The workflow of run ``thread_id``."""
    return client.get_workflow_handle(thread_id, result_type=RunResult)


async def answer_run(client: Client, thread_id: str, answers: Mapping[str, Answer]) -> RunResult:
    """Answer a paused run; its result after the advance. Refusals are user errors."""
    handle = run_handle(client, thread_id)
    try:
        result: RunResult = await handle.execute_update(
            "answer", dict(answers), result_type=RunResult
        )
        return result
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            raise _ERRORS.get(cause.type or "", UserError)(cause.message) from None
        raise
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    result = await _final(handle)
    raise RunNotPausedError(
        f"thread '{thread_id}' is not waiting for answers (status: {result.status})"
    )


async def run_status(client: Client, thread_id: str) -> RunResult:
    """Where the run stands, from its workflow (``running`` during an advance)."""
    handle = run_handle(client, thread_id)
    try:
        status: RunResult = await handle.query("status", result_type=RunResult)
        return status
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    return await _final(handle)
