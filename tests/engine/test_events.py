"""Run events: typed, in order, as the run goes; the last one carries the result."""

from __future__ import annotations

from pathlib import Path

import yaml
from graph.scripts import incident

from agent.engine import api
from agent.engine.answers import match_answers
from agent.graph.compile import judge_schedule
from agent.llm.scripted import ScriptedModel
from agent.skill.library import Library

REPO = Path(__file__).resolve().parents[2]


def _seed():  # type: ignore[no-untyped-def]
    return Library([REPO / "skills"]).resolve("incident-response")


async def test_events_come_in_run_order_and_end_with_the_status(tmp_path: Path) -> None:
    seed = _seed()
    model = ScriptedModel(incident.happy(seed.skill, judge_schedule(seed.skill)))
    kinds: list[str] = []
    steps: list[tuple[str, str | None]] = []
    async for event in api.run_events(
        skill=seed, inputs={"alert": "5xx"}, model=model, db=f"sqlite:///{tmp_path / 'r.db'}"
    ):
        kinds.append(event.kind)
        if event.kind in ("step_started", "step_finished"):
            steps.append((event.kind, event.step))
    assert kinds[0] == "run_started"
    assert kinds[1] == "plan"
    assert kinds[-1] == "status"
    ids = [ms.id for ms in seed.skill.micro_skills]
    assert [s for k, s in steps if k == "step_started"] == ids
    assert [s for k, s in steps if k == "step_finished"] == ids
    # each step starts before it finishes and before the next one starts
    assert steps == [(k, s) for s in ids for k in ("step_started", "step_finished")]


async def test_tool_calls_are_reported_live_inside_their_step(tmp_path: Path) -> None:
    example = REPO / "examples" / "incidents" / "checkout-deploy-spike"
    given = yaml.safe_load((example / "answers.yaml").read_text(encoding="utf-8"))
    model = ScriptedModel.from_file(example / "script.yaml")
    db = f"sqlite:///{tmp_path / 'r.db'}"
    kinds: list[tuple[str, str | None]] = []
    events = api.run_events(
        "t", skill=_seed(), inputs={"incident": "5xx"}, model=model, db=db, evidence=example
    )
    while True:
        async for event in events:
            kinds.append((event.kind, event.data.get("tool")))
            last = event
        if last.data["status"] != "paused":
            break
        answers = match_answers(last.data["questions"], given, set())
        events = api.run_events("t", answers, model=model, db=db)
    tools = [t for k, t in kinds if k == "tool_called"]
    assert "list_recent_changes" in tools
    first_tool = kinds.index(("tool_called", tools[0]))
    assert any(k == "step_started" for k, _ in kinds[:first_tool])


async def test_the_final_event_is_the_result_start_returns(tmp_path: Path) -> None:
    seed = _seed()
    script = incident.happy(seed.skill, judge_schedule(seed.skill))
    db = f"sqlite:///{tmp_path / 'r.db'}"
    last = None
    async for event in api.run_events(
        "t1", skill=seed, inputs={"alert": "5xx"}, model=ScriptedModel(script), db=db
    ):
        last = event
    assert last is not None
    status = await api.get_status("t1", db=db)
    assert last.data["status"] == status.status == "completed"
