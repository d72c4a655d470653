"""Answers arrive as workflow updates: validated, and exactly one of two concurrent ones wins."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from agent.engine import api
from agent.engine.api import RunResult
from agent.errors import RunNotPausedError, UnknownQuestionError, UserError
from agent.temporal.client import answer_run, connect, run_handle, run_status, start_run

from .runs import example_answers, request

pytestmark = [pytest.mark.temporal, pytest.mark.usefixtures("in_process_worker")]


async def _paused_run(address: str, task_queue: str) -> tuple[str, RunResult]:
    client = await connect(address)
    thread_id = uuid.uuid4().hex
    result = await start_run(client, thread_id, request(), task_queue)
    assert result.status == "paused"
    return thread_id, result


async def test_queries_show_the_paused_run_and_its_questions(
    temporal_address: str, task_queue: str, postgres: str
) -> None:
    thread_id, result = await _paused_run(temporal_address, task_queue)
    client = await connect(temporal_address)
    status = await run_status(client, thread_id)
    questions = await run_handle(client, thread_id).query("questions")
    assert status.status == "paused"
    assert [q["id"] for q in questions] == [q["id"] for q in result.questions]
    engine = await api.get_status(thread_id, db=postgres)
    assert engine.questions == result.questions  # the workflow says what the engine says


async def test_an_answer_to_an_unknown_question_is_rejected_and_the_run_still_waits(
    temporal_address: str, task_queue: str
) -> None:
    thread_id, result = await _paused_run(temporal_address, task_queue)
    client = await connect(temporal_address)
    with pytest.raises(UnknownQuestionError, match="no-such-question"):
        await answer_run(client, thread_id, {"no-such-question": "SEV2"})
    assert (await run_status(client, thread_id)).questions == result.questions


async def test_an_answer_that_is_not_one_of_the_choices_is_rejected(
    temporal_address: str, task_queue: str
) -> None:
    thread_id, result = await _paused_run(temporal_address, task_queue)
    client = await connect(temporal_address)
    qid = result.questions[0]["id"]
    with pytest.raises(UserError, match="not one of the choices"):
        await answer_run(client, thread_id, {qid: "SEV9"})
    assert (await run_status(client, thread_id)).status == "paused"


async def test_of_two_concurrent_answers_exactly_one_wins(
    temporal_address: str, task_queue: str, postgres: str
) -> None:
    thread_id, result = await _paused_run(temporal_address, task_queue)
    client = await connect(temporal_address)
    qid = result.questions[0]["id"]
    outcomes = await asyncio.gather(
        answer_run(client, thread_id, {qid: "SEV2 — payments are a major feature"}),
        answer_run(client, thread_id, {qid: "SEV3 — only some users"}),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, RunResult)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1, outcomes
    # Refused while the winner is applied, or (when it arrives later) as answering a
    # question that is no longer pending.
    assert len(lost) == 1
    assert isinstance(lost[0], (RunNotPausedError, UnknownQuestionError)), lost
    values, _ = await api.read_state(thread_id, db=postgres)
    answers = [e for e in values["audit_log"] if e["kind"] == "answer"]
    assert [a["data"]["question_id"] for a in answers] == [qid]  # the loser never reached it


async def test_answers_take_a_run_to_its_end_on_the_workers(
    temporal_address: str, task_queue: str
) -> None:
    thread_id, result = await _paused_run(temporal_address, task_queue)
    client = await connect(temporal_address)
    while result.status == "paused":
        result = await answer_run(client, thread_id, example_answers(result.questions))
    assert result.status == "completed"
    assert (await run_handle(client, thread_id).result()).status == "completed"
    with pytest.raises(RunNotPausedError):
        await answer_run(client, thread_id, {"q1": "SEV2"})


async def test_an_approval_takes_a_decisions_payload_and_a_malformed_one_is_refused(
    temporal_address: str, task_queue: str, postgres: str
) -> None:
    thread_id, result = await _paused_run(temporal_address, task_queue)
    client = await connect(temporal_address)
    while not any(q["kind"] == "approval" for q in result.questions):
        result = await answer_run(client, thread_id, example_answers(result.questions))
    [approval] = [q for q in result.questions if q["kind"] == "approval"]
    qid = approval["id"]
    with pytest.raises(UserError, match="the decisions for"):
        await answer_run(client, thread_id, {qid: {"decisions": [{"type": "maybe"}]}})
    assert (await run_status(client, thread_id)).status == "paused"
    result = await answer_run(client, thread_id, {qid: {"decisions": [{"type": "approve"}]}})
    values, _ = await api.read_state(thread_id, db=postgres)
    assert values["approvals"][qid]["decision"] == "approve"
    assert values["approvals"][qid]["approved"] is True
