"""Time-boxed questions and reminders through the engine API, on a fake clock.

The seed's policy gives every question it asks a deadline; ``apply_deadlines`` is
told the time, so no test waits for one. Runs use a ``scripted:`` model spec so
the engine rebuilds the model from the recipe, as ``serve`` and the CLI do.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from graph.scripts import incident
from graph.scripts.incident import find, reply

from agent.engine import api, apply_deadlines, next_deadline
from agent.engine.events import RunEvent
from agent.errors import RunNotPausedError, SkillweaveError
from agent.graph._context import FixedClock, parse_iso
from agent.graph.compile import judge_schedule
from agent.skill.library import SkillSet
from agent.skill.policy import DeadlineRule, Policy, load_policy

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
Script = dict[str, list[dict[str, Any]]]


def _later(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def _ambiguity(seed: SkillSet, trigger: str, template: str, **values: str) -> dict[str, Any]:
    return {
        "trigger": find(seed.skill.ambiguity.triggers, trigger),
        "template": find(seed.skill.ambiguity.questions, template),
        "values": values,
    }


def _sev_question(seed: SkillSet) -> dict[str, Any]:
    return _ambiguity(seed, "two adjacent levels", "Classify as SEV2 or SEV3", N="9", region="eu")


def _services_question(seed: SkillSet) -> dict[str, Any]:
    return _ambiguity(seed, "multiple services", "Multiple services", service_list="a, b")


def _spec(tmp_path: Path, script: Script) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script), encoding="utf-8")
    return f"scripted:{path}"


def _script(seed: SkillSet, severity: str) -> Script:
    script = incident.happy(seed.skill, judge_schedule(seed.skill))
    script["step:severity-classification"] = [
        reply(incident.step(severity, severity=severity, incident_commander="dana"))
    ]
    return script


def _triage_asks(seed: SkillSet, script: Script) -> Script:
    """Triage asks which service comes first, then (answered) goes on as in the happy path."""
    asking = {**incident.step("which service?"), "ambiguities": [_services_question(seed)]}
    script["step:triage"].insert(0, reply(asking))
    return script


def _timers(values: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in values["audit_log"] if e["kind"] == kind]


async def _start(
    seed: SkillSet, tmp_path: Path, db: str, script: Script, policy: Policy | None = None
) -> api.RunResult:
    result = await api.start(
        seed,
        {"alert": "checkout 5xx"},
        model=_spec(tmp_path, script),
        db=db,
        policy=policy,
        clock=FixedClock(T0),
    )
    assert result.status == "paused", result
    return result


async def test_a_fixed_duration_gives_the_question_its_deadline(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    script = _script(seed, "SEV2")
    unsure = {**incident.step("unsure"), "ambiguities": [_sev_question(seed)]}
    script["step:severity-classification"].insert(0, reply(unsure))
    paused = await _start(seed, tmp_path, db, script)
    [question] = paused.questions
    assert question["deadline"] == "2026-03-01T10:05:00.000Z"  # within: 5m
    assert question["deadline_rule"] == "classify-within-five-minutes"
    assert await next_deadline(paused.thread_id, db=db) == _later(minutes=5)


@pytest.mark.parametrize(("severity", "window"), [("SEV1", 5), ("SEV2", 30), ("SEV3", 240)])
async def test_the_severity_table_gives_the_window_of_the_current_level(
    seed: SkillSet, tmp_path: Path, db: str, severity: str, window: int
) -> None:
    policy = _without_reminders(seed)
    paused = await _start(seed, tmp_path, db, _triage_asks(seed, _script(seed, severity)), policy)
    [question] = paused.questions
    assert parse_iso(question["deadline"]) == _later(minutes=window)
    assert question["deadline_rule"] == "escalate-after-response-window"


def _shipped(seed: SkillSet) -> Policy:
    policy = load_policy(Path(str(seed.skill.path)))
    assert policy is not None
    return policy


def _without_reminders(seed: SkillSet) -> Policy:
    shipped = _shipped(seed)
    return shipped.model_copy(update={"rules": [r for r in shipped.rules if r.kind != "reminder"]})


def _without_deadlines(seed: SkillSet) -> Policy:
    shipped = _shipped(seed)
    kept = [r for r in shipped.rules if not isinstance(r, DeadlineRule)]
    return shipped.model_copy(update={"rules": kept})


async def test_nothing_applies_before_the_deadline(seed: SkillSet, tmp_path: Path, db: str) -> None:
    script = _triage_asks(seed, _script(seed, "SEV2"))
    paused = await _start(seed, tmp_path, db, script, _without_reminders(seed))
    assert await apply_deadlines(paused.thread_id, now=_later(minutes=29), db=db) is None
    status = await api.get_status(paused.thread_id, db=db)
    assert status.status == "paused"
    assert status.timers == []


async def _paused_on_severity(seed: SkillSet, tmp_path: Path, db: str) -> api.RunResult:
    """A run asking for the severity; when it goes on, the step takes SEV2 and names no IC."""
    script = _script(seed, "SEV2")
    unsure = {**incident.step("unsure"), "ambiguities": [_sev_question(seed)]}
    script["step:severity-classification"] = [
        reply(unsure),
        reply(incident.step("SEV2 taken", severity="SEV2")),
    ]
    return await _start(seed, tmp_path, db, script, _without_reminders(seed))


async def test_the_answer_fallback_makes_the_on_call_engineer_ic_until_handed_off(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    paused = await _paused_on_severity(seed, tmp_path, db)
    qid = paused.questions[0]["id"]
    done = await apply_deadlines(paused.thread_id, now=_later(minutes=6), db=db)
    assert done is not None
    assert done.status == "completed", done
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert values["facts"]["incident_commander"] == "on-call engineer"
    assert values["answers"][qid]["by"] == "deadline:classify-within-five-minutes"
    assert any("until explicitly handed off" in n["text"] for n in values["scratchpad"])
    [event] = _timers(values, "deadline")
    assert event["rule_id"] == "classify-within-five-minutes"
    assert event["fallback"] == "answer"
    assert event["question_id"] == qid


async def test_a_deadline_applied_is_an_event_before_what_the_run_did_next(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    paused = await _paused_on_severity(seed, tmp_path, db)
    seen: list[RunEvent] = []
    await apply_deadlines(paused.thread_id, now=_later(minutes=6), db=db, on_event=seen.append)
    kinds = [e.kind for e in seen]
    assert kinds.index("deadline") < kinds.index("step_started") < kinds.index("status")
    deadline = seen[kinds.index("deadline")]
    assert (deadline.data["rule_id"], deadline.data["question_id"], deadline.data["fallback"]) == (
        "classify-within-five-minutes",
        paused.questions[0]["id"],
        "answer",
    )


async def test_an_answer_after_the_fallback_is_refused(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    script = _script(seed, "SEV1")
    fix = {"type": "forward-fix", "description": "patch the parser", "target": "checkout"}
    script["step:mitigate"][0]["output"]["actions"] = [fix]
    paused = await _start(seed, tmp_path, db, script, _without_reminders(seed))
    await apply_deadlines(paused.thread_id, now=_later(minutes=6), db=db)
    with pytest.raises(RunNotPausedError):
        await api.resume(paused.thread_id, {paused.questions[0]["id"]: "approve"}, db=db)


async def test_the_escalate_fallback_raises_severity_one_level_and_restarts_the_window(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    script = _triage_asks(seed, _script(seed, "SEV3"))
    paused = await _start(seed, tmp_path, db, script, _without_reminders(seed))
    late = _later(hours=4, seconds=1)
    still = await apply_deadlines(paused.thread_id, now=late, db=db)
    assert still is not None
    assert still.status == "paused"
    [question] = still.questions
    assert parse_iso(question["deadline"]) == late + timedelta(minutes=30)  # SEV2's window
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert values["facts"]["severity"] == "SEV2"
    [event] = _timers(values, "deadline")
    assert (event["rule_id"], event["from"], event["to"]) == (
        "escalate-after-response-window",
        "SEV3",
        "SEV2",
    )
    again = await apply_deadlines(paused.thread_id, now=late + timedelta(minutes=31), db=db)
    assert again is not None
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert values["facts"]["severity"] == "SEV1"


async def test_the_block_fallback_ends_the_run_blocked_with_the_reason(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    script = _script(seed, "SEV1")
    fix = {"type": "forward-fix", "description": "patch the parser", "target": "checkout"}
    script["step:mitigate"][0]["output"]["actions"] = [fix]
    paused = await _start(seed, tmp_path, db, script, _without_reminders(seed))
    assert paused.questions[0]["deadline_rule"] == "forward-fix-approval-window"
    blocked = await apply_deadlines(paused.thread_id, now=_later(minutes=5), db=db)
    assert blocked is not None
    assert blocked.status == "blocked"
    assert any("not approved within the response window" in v for v in blocked.violations)
    values, _ = await api.read_state(paused.thread_id, db=db)
    [event] = _timers(values, "deadline")
    assert event["rule_id"] == "forward-fix-approval-window"
    assert event["fallback"] == "block"


async def test_an_answer_before_the_deadline_cancels_it(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    script = _triage_asks(seed, _script(seed, "SEV2"))
    paused = await _start(seed, tmp_path, db, script, _without_reminders(seed))
    qid = paused.questions[0]["id"]
    done = await api.resume(paused.thread_id, {qid: "checkout first"}, db=db)
    assert done.status == "completed"
    assert await next_deadline(paused.thread_id, db=db) is None
    assert await apply_deadlines(paused.thread_id, now=_later(hours=9), db=db) is None
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert _timers(values, "deadline") == []


@pytest.mark.parametrize("deadline_first", [True, False], ids=["deadline-first", "answer-first"])
async def test_a_concurrent_answer_and_deadline_exactly_one_wins(
    seed: SkillSet, tmp_path: Path, run_db: str, deadline_first: bool
) -> None:
    db = run_db  # SQLite and Postgres: the same per-thread lock decides
    script = _script(seed, "SEV2")
    fix = {"type": "forward-fix", "description": "patch the parser", "target": "checkout"}
    script["step:mitigate"][0]["output"]["actions"] = [fix]
    paused = await _start(seed, tmp_path, db, script, _without_reminders(seed))
    qid = paused.questions[0]["id"]
    calls = [
        apply_deadlines(paused.thread_id, now=_later(hours=1), db=db),
        api.resume(paused.thread_id, {qid: {"text": "approve", "by": "dana"}}, db=db),
    ]
    got = await asyncio.gather(*(calls if deadline_first else calls[::-1]), return_exceptions=True)
    deadline, answer = got if deadline_first else got[::-1]
    values, _ = await api.read_state(paused.thread_id, db=db)
    fired = _timers(values, "deadline")
    answered = [e for e in _timers(values, "answer") if e["question_id"] == qid]
    assert len(fired) + len(answered) == 1, (deadline, answer)
    if fired:
        assert isinstance(answer, SkillweaveError)
        assert values["status"] == "blocked"
    else:
        assert deadline is None
        assert values["status"] == "completed"


async def test_reminders_come_due_on_the_severity_cadence_without_a_model_call(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    script = _triage_asks(seed, _script(seed, "SEV1"))
    paused = await _start(seed, tmp_path, db, script, _without_deadlines(seed))
    assert paused.questions[0]["deadline"] is None
    assert await next_deadline(paused.thread_id, db=db) == _later(minutes=30)
    assert await apply_deadlines(paused.thread_id, now=_later(minutes=29), db=db) is None
    first = await apply_deadlines(paused.thread_id, now=_later(minutes=31), db=db)
    assert first is not None
    assert first.status == "paused"
    assert [(t["rule_id"], t["due"]) for t in first.timers] == [
        ("status-update-cadence", "2026-03-01T10:30:00.000Z")
    ]
    assert first.usage == paused.usage  # a reminder is a record, not a model call
    assert await next_deadline(paused.thread_id, db=db) == _later(minutes=60)
    late = await apply_deadlines(paused.thread_id, now=_later(minutes=125), db=db)
    assert late is not None
    assert (late.timers[-1]["due"], late.timers[-1]["missed"]) == ("2026-03-01T12:00:00.000Z", 2)
    status = await api.get_status(paused.thread_id, db=db)
    assert len(status.timers) == 2


async def test_applying_twice_at_the_same_instant_applies_once(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    script = _triage_asks(seed, _script(seed, "SEV3"))
    paused = await _start(seed, tmp_path, db, script, _without_reminders(seed))
    late = _later(hours=4, minutes=1)
    assert await apply_deadlines(paused.thread_id, now=late, db=db) is not None
    assert await apply_deadlines(paused.thread_id, now=late, db=db) is None
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert len(_timers(values, "deadline")) == 1
    assert values["facts"]["severity"] == "SEV2"


def _triage_asks_two(seed: SkillSet, script: Script) -> Script:
    """Triage asks two questions at once (two interrupts), then goes on as in the happy path."""
    asking = {
        **incident.step("which service, which level?"),
        "ambiguities": [_services_question(seed), _sev_question(seed)],
    }
    script["step:triage"].insert(0, reply(asking))
    return script


async def test_time_reaches_every_waiting_question_and_run_level_work_happens_once(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    paused = await _start(seed, tmp_path, db, _triage_asks_two(seed, _script(seed, "SEV2")))
    assert [q["deadline"] for q in paused.questions] == ["2026-03-01T10:30:00.000Z"] * 2
    late = _later(minutes=61)  # both deadlines and SEV2's hourly reminder are due
    still = await apply_deadlines(paused.thread_id, now=late, db=db)
    assert still is not None
    assert still.status == "paused"
    assert [parse_iso(q["deadline"]) for q in still.questions] == [late + timedelta(minutes=5)] * 2
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert values["facts"]["severity"] == "SEV1"  # one level for one window, not one per question
    fired = _timers(values, "deadline")
    assert sorted(e["question_id"] for e in fired) == sorted(q["id"] for q in paused.questions)
    assert {(e["from"], e["to"]) for e in fired} == {("SEV2", "SEV1")}
    assert len(_timers(values, "reminder")) == 1


async def test_a_question_answered_while_another_waits_keeps_its_answer_when_time_passes(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    script = _triage_asks_two(seed, _script(seed, "SEV2"))
    paused = await _start(seed, tmp_path, db, script, _without_reminders(seed))
    services, severity = (q["id"] for q in paused.questions)
    half = await api.resume(paused.thread_id, {services: "checkout first"}, db=db)
    assert [q["id"] for q in half.questions] == [severity]
    still = await apply_deadlines(paused.thread_id, now=_later(minutes=31), db=db)
    assert still is not None
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert values["answers"][services]["text"] == "checkout first"
    [event] = _timers(values, "deadline")
    assert event["question_id"] == severity
    assert [q["id"] for q in still.questions] == [severity]
