"""The shipped demo script stays in step with the seed and its policy."""

from __future__ import annotations

from pathlib import Path

import yaml

from agent.engine import api
from agent.graph.compile import judge_schedule
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet
from graph.scripts import incident

DEMO = Path(__file__).parent / "scripts" / "incident_happy.yaml"


def test_demo_script_equals_the_happy_path_builder(seed: SkillSet) -> None:
    built = incident.happy(seed.skill, judge_schedule(seed.skill))
    assert yaml.safe_load(DEMO.read_text(encoding="utf-8")) == built


async def test_demo_script_runs_the_seed_to_completion(seed: SkillSet, db: str) -> None:
    model = ScriptedModel.from_file(DEMO)
    result = await api.start(seed, {"alert": "checkout 5xx"}, model=model, db=db)
    assert result.status == "completed", result.violations
    model.assert_complete()
