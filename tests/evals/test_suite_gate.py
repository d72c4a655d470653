"""The incident-response suite as a merge gate: one test per scenario × criterion, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.evals.pytest_plugin import SuiteGate

GATE = SuiteGate(Path(__file__).resolve().parents[2] / "evals" / "incident-response")


def test_every_scenario_run_completes_offline() -> None:
    runs = GATE.report().runs
    assert {r.scenario for r in runs} == {s.name for s in GATE.suite.scenarios}
    assert [r.status for r in runs] == ["completed"] * len(runs)


@pytest.mark.parametrize(("scenario", "criterion"), GATE.cases())
def test_criterion_holds(scenario: str, criterion: str) -> None:
    GATE.check(scenario, criterion)


def test_suite_thresholds_hold() -> None:
    GATE.check_thresholds()
