"""Live progress: audit events reach the terminal node by node, not when the run returns."""

from __future__ import annotations

from pathlib import Path

from scripts import runs

from agent.cli._live import feeding
from agent.llm.scripted import ScriptedModel
from agent.runtime import api
from agent.skill.library import Library

REPO = Path(__file__).resolve().parents[2]


async def test_each_finished_step_is_reported_while_the_run_goes_on(tmp_path: Path) -> None:
    seed = Library([REPO / "skills"]).resolve("incident-response")
    reports: list[int] = []
    with feeding(lambda log: reports.append(sum(e["kind"] == "step_end" for e in log))):
        result = await api.start(
            seed,
            {"alert": "checkout 5xx"},
            model=ScriptedModel(runs.happy(seed.skill)),
            db=f"sqlite:///{tmp_path / 'runs.sqlite'}",
        )
    assert result.status == "completed"
    finished = list(dict.fromkeys(reports))  # steps finished as of each report, in order
    assert finished[:1] == [0]  # the plan is reported before any step has run
    assert [n for n in finished if n] == [1, 2, 3, 4]


async def test_nothing_is_reported_outside_the_feeding_block(tmp_path: Path) -> None:
    seed = Library([REPO / "skills"]).resolve("incident-response")
    reports: list[int] = []
    with feeding(lambda log: reports.append(len(log))):
        pass
    await api.start(
        seed,
        {"alert": "5xx"},
        model=ScriptedModel(runs.happy(seed.skill)),
        db=f"sqlite:///{tmp_path / 'runs.sqlite'}",
    )
    assert reports == []
