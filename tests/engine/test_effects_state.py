"""Side effects of a step that did not complete are marked as such, never shown as done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graph.scripts import incident
from graph.scripts.incident import reply

from agent.engine import api
from agent.graph.compile import judge_schedule
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet
from agent.skill.policy import JudgeSettings, load_policy

SCALE_UP = {
    "name": "propose_scale_up",
    "args": {"service": "checkout", "replicas": 6, "reason": "saturated"},
}


def _script(seed: SkillSet) -> dict[str, list[dict[str, Any]]]:
    return incident.happy(seed.skill, judge_schedule(seed.skill))


def _ledger(home: Path) -> list[dict[str, Any]]:
    [file] = (home / "actions").glob("*.jsonl")
    return [json.loads(line) for line in file.read_text().splitlines()]


async def _effects(thread_id: str, db: str, home: Path) -> list[tuple[str, str, str]]:
    doc = await api.export_transcript(thread_id, db=db, data_dir=home)
    return [(e.kind, e.state, (e.action or {}).get("type", "")) for e in doc.effects]


async def test_a_step_that_failed_after_a_tool_ran_shows_its_effect_as_not_completed(
    seed: SkillSet, db: str, tmp_path: Path
) -> None:
    script = _script(seed)
    script["step:mitigate"].insert(
        0, {"tool_calls": [SCALE_UP], "error": {"status": 400, "message": "bad request"}}
    )
    failed = await api.start(
        seed, {"alert": "5xx"}, model=ScriptedModel(script), db=db, data_dir=tmp_path
    )
    assert failed.status == "failed"
    # the effect happened (the ledger has it) ...
    assert [r["action"]["type"] for r in _ledger(tmp_path)] == ["scale-up"]
    # ... but the run never stood behind it
    assert await _effects(failed.thread_id, db, tmp_path) == [
        ("proposal", "not completed", "scale-up")
    ]
    doc = await api.export_transcript(failed.thread_id, db=db, data_dir=tmp_path)
    assert doc.effects[0].steps == ["step:mitigate"]
    assert "scale-up" not in [a.type for a in doc.actions]


async def test_an_effect_of_an_attempt_sent_back_and_not_repeated_is_not_completed(
    seed: SkillSet, db: str, tmp_path: Path
) -> None:
    shipped = load_policy(Path(str(seed.skill.path)))
    assert shipped is not None  # judged right after mitigate: sent back before any approval
    each_step = shipped.model_copy(update={"judge": JudgeSettings(at="each-step")})
    script = incident.happy(seed.skill, judge_schedule(seed.skill, each_step))
    first = {**script["step:mitigate"][0], "tool_calls": [SCALE_UP]}
    script["step:mitigate"].insert(0, first)
    judged = judge_schedule(seed.skill, each_step)["mitigate"]
    revise = {
        "verdicts": [{"guardrail": judged[0], "outcome": "revise", "message": "not the fastest"}]
    }
    script["judge:mitigate"].insert(0, reply(revise))
    done = await api.start(
        seed,
        {"alert": "5xx"},
        model=ScriptedModel(script),
        db=db,
        data_dir=tmp_path,
        policy=each_step,
    )
    assert done.status == "completed", (done.violations, done.failure)
    assert await _effects(done.thread_id, db, tmp_path) == [
        ("proposal", "not completed", "scale-up")
    ]


async def test_an_effect_of_an_accepted_step_is_done_and_one_awaiting_approval_pending(
    seed: SkillSet, db: str, tmp_path: Path
) -> None:
    script = _script(seed)
    script["step:mitigate"][0] = {**script["step:mitigate"][0], "tool_calls": [SCALE_UP]}
    paused = await api.start(
        seed, {"alert": "5xx"}, model=ScriptedModel(script), db=db, data_dir=tmp_path
    )
    assert paused.status == "paused"  # scaling up needs the Incident Commander's yes
    assert await _effects(paused.thread_id, db, tmp_path) == [("proposal", "pending", "scale-up")]
    done = await api.resume(
        paused.thread_id,
        {paused.questions[0]["id"]: "approve"},
        model=ScriptedModel(script),
        db=db,
        data_dir=tmp_path,
    )
    assert done.status == "completed", (done.violations, done.failure)
    assert await _effects(done.thread_id, db, tmp_path) == [("proposal", "done", "scale-up")]
