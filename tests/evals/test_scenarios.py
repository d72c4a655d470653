"""Each incident-response eval scenario runs the real graph to the end, offline.

A scenario's scripted model drives the real graph, tools, policy and SQLite
persistence over its evidence bundle; questions are answered from its
``scenario.yaml``. Its ``expected`` block is ground truth for scoring and must
never reach the model.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pytest
import yaml
from pydantic import BaseModel

from agent.engine import api
from agent.llm.base import ModelRequest, ModelResponse
from agent.llm.scripted import ScriptedModel
from agent.plugins import ToolContext, load_tools
from agent.skill.library import Library

REPO = Path(__file__).resolve().parents[2]
EVALS = REPO / "evals" / "incident-response"
SCENARIOS = EVALS / "scenarios"
NAMES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.yaml").is_file())
T = TypeVar("T", bound=BaseModel)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_eval_generate", EVALS / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class _RecordingModel(ScriptedModel):
    """The scenario's scripted model, keeping the text of every prompt it was sent."""

    prompts: list[str]

    async def generate(self, request: ModelRequest[T]) -> ModelResponse[T]:
        self.prompts.append("\n".join(str(m) for m in request.messages))
        return await super().generate(request)


@dataclass
class Run:
    """What one scenario run produced, for the tests to inspect."""

    scenario: dict[str, Any]
    result: api.RunResult
    asked: list[dict[str, Any]]
    prompts: list[str]


async def _run(name: str, tmp: Path) -> Run:
    folder = SCENARIOS / name
    scenario = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    seed = Library([REPO / "skills"]).resolve("incident-response")
    raw = yaml.safe_load((folder / "script.yaml").read_text(encoding="utf-8"))
    model = _RecordingModel(raw, name=name)
    model.prompts = []
    ctx = ToolContext(data_dir=tmp / name, thread_id=name, evidence_dir=folder)
    tools = load_tools(seed.skill, ctx)
    db = f"sqlite:///{tmp / f'{name}.sqlite'}"
    answers: dict[str, str] = scenario["answers"]
    asked: list[dict[str, Any]] = []
    result = await api.start(seed, scenario["inputs"], name, model=model, db=db, tools=tools)
    while result.status == "paused":
        asked += result.questions
        given = {
            q["id"]: answers.get(q["id"], answers.get(q["trigger"] or "")) for q in result.questions
        }
        given = {k: v for k, v in given.items() if v is not None}
        assert given, f"{name}: unanswered {result.questions}"
        result = await api.resume(name, given, model=model, db=db, tools=tools)
    model.assert_complete()
    return Run(scenario, result, asked, model.prompts)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every scenario run once (in its own event loop) and shared by the tests below."""
    tmp = tmp_path_factory.mktemp("scenarios")

    async def all_runs() -> dict[str, Run]:
        return {name: await _run(name, tmp) for name in NAMES}

    return asyncio.run(all_runs())


def test_the_suite_covers_at_least_twelve_scenarios() -> None:
    assert len(NAMES) >= 12


@pytest.mark.parametrize("name", NAMES)
def test_scenario_files_match_their_generator(name: str) -> None:
    script, scenario = _generator().render(name)
    assert (SCENARIOS / name / "script.yaml").read_text(encoding="utf-8") == script
    assert (SCENARIOS / name / "scenario.yaml").read_text(encoding="utf-8") == scenario


@pytest.mark.parametrize("name", NAMES)
def test_scenario_runs_to_completed(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.result.status == "completed", run.result.violations or run.result.error


@pytest.mark.parametrize("name", NAMES)
def test_severity_output_equals_the_expected_severity(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.result.outputs["severity"] == run.scenario["expected"]["severity"]


@pytest.mark.parametrize("name", NAMES)
def test_every_expected_question_trigger_is_asked(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    triggers = {q["trigger"] for q in run.asked}
    assert set(run.scenario["expected"]["questions"]) <= triggers


@pytest.mark.parametrize("name", NAMES)
def test_expected_block_never_reaches_the_model(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    hidden = [yaml.safe_dump(run.scenario["expected"]), repr(run.scenario["expected"])]
    # the recorder does see the scenario's inputs, so an absent key is a real absence
    assert any(run.scenario["inputs"]["incident"] in p for p in run.prompts)
    assert not any(h in p or "mitigation_type" in p for p in run.prompts for h in hidden)
