"""Deadlines on Temporal: a workflow timer fires, an activity applies the policy's fallback.

A short test window (the shipped policy with 2 s for SEV3) instead of hours; the
test polls the workflow and never sleeps longer than the deadline it checks.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from graph.scripts import incident
from graph.scripts.incident import find, reply

from agent.engine import api
from agent.engine.api import RunResult
from agent.graph._context import parse_iso
from agent.graph.compile import judge_schedule
from agent.skill.library import Library, SkillSet
from agent.skill.policy import DeadlineRule, Policy, load_policy
from agent.temporal.client import answer_run, connect, run_status, start_run

from .runs import REPO, request

pytestmark = [pytest.mark.temporal, pytest.mark.usefixtures("in_process_worker")]
WINDOW = 2.0
"""SEV3's response window in this test, seconds."""


@pytest.fixture(scope="module")
def seed() -> SkillSet:
    """incident-response with its foundation skills."""
    return Library([REPO / "skills"]).resolve("incident-response")


def _policy(seed: SkillSet) -> Policy:
    """The shipped policy without reminders, SEV3's window cut to :data:`WINDOW`."""
    shipped = load_policy(Path(str(seed.skill.path)))
    assert shipped is not None
    rules: list[Any] = []
    for rule in shipped.rules:
        if rule.kind == "reminder":
            continue
        if isinstance(rule, DeadlineRule) and rule.id == "escalate-after-response-window":
            within = rule.within.model_copy(
                update={"table": {"SEV3": f"{int(WINDOW)}s", "SEV2": "30m"}}
            )
            rule = rule.model_copy(update={"within": within})
        rules.append(rule)
    return shipped.model_copy(update={"rules": rules})


def _script(seed: SkillSet, tmp_path: Path) -> str:
    """SEV3 by the model; triage asks which service comes first, then goes on."""
    script = incident.happy(seed.skill, judge_schedule(seed.skill))
    script["step:severity-classification"] = [
        reply(incident.step("SEV3", severity="SEV3", incident_commander="dana"))
    ]
    question = {
        "trigger": find(seed.skill.ambiguity.triggers, "multiple services"),
        "template": find(seed.skill.ambiguity.questions, "Multiple services"),
        "values": {"service_list": "a, b"},
    }
    asking = {**incident.step("which service?"), "ambiguities": [question]}
    script["step:triage"].insert(0, reply(asking))
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script), encoding="utf-8")
    return f"scripted:{path}"


async def _until_escalated(client: Any, thread_id: str, first: RunResult) -> RunResult:
    """Poll the workflow (0.2 s at a time) until its question carries a new deadline."""
    for _ in range(150):
        status = await run_status(client, thread_id)
        if status.status != "running" and status.questions != first.questions:
            return status
        await asyncio.sleep(0.2)
    pytest.fail("the deadline never fired")


async def test_a_deadline_fires_as_a_workflow_timer_escalates_and_is_audited(
    seed: SkillSet, tmp_path: Path, temporal_address: str, task_queue: str, postgres: str
) -> None:
    client = await connect(temporal_address)
    thread_id = uuid.uuid4().hex
    start = request().model_copy(
        update={
            "inputs": {"alert": "checkout 5xx"},
            "model": _script(seed, tmp_path),
            "policy": _policy(seed).model_dump(mode="json"),
        }
    )
    paused = await start_run(client, thread_id, start, task_queue)
    assert paused.status == "paused", paused
    [question] = paused.questions
    assert question["deadline_rule"] == "escalate-after-response-window"
    due = parse_iso(question["deadline"])

    escalated = await _until_escalated(client, thread_id, paused)
    fired_at = time.time()

    assert escalated.status == "paused"
    assert fired_at >= due.timestamp()  # not before its time
    [again] = escalated.questions
    assert parse_iso(again["deadline"]) > due  # SEV2's window started at the escalation
    values, _ = await api.read_state(thread_id, db=postgres)
    assert values["facts"]["severity"] == "SEV2"
    [event] = [e["data"] for e in values["audit_log"] if e["kind"] == "deadline"]
    assert (event["rule_id"], event["from"], event["to"]) == (
        "escalate-after-response-window",
        "SEV3",
        "SEV2",
    )
    done = await answer_run(client, thread_id, {again["id"]: "checkout first"})
    assert done.status == "completed"  # the workflow goes on taking answers after a timer
