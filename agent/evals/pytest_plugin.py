"""Eval suites as pytest test cases, so a project can gate merges on them.

A test module builds one :class:`SuiteGate` and parametrizes over its cases::

    GATE = SuiteGate(Path("evals/incident-response"))

    @pytest.mark.parametrize(("scenario", "criterion"), GATE.cases())
    def test_criterion_holds(scenario: str, criterion: str) -> None:
        GATE.check(scenario, criterion)

    def test_thresholds_hold() -> None:
        GATE.check_thresholds()

Collection only reads the suite files; the suite runs once, on the first
check, and every case reads its verdict from that one report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet

from agent.evals.report import Report, build_report
from agent.evals.results import ScoreFn
from agent.evals.runner import (
    EvalSettings,
    load_suite,
    model_factory,
    run_suite,
)
from agent.llm import build_model
from agent.skill.library import Library, default_skill_paths


class SuiteGate:
    """One suite, run at most once per test session, judged case by case."""

    def __init__(
        self,
        folder: Path,
        *,
        model: str | None = None,
        repeats: int | None = None,
        concurrency: int = 4,
        judge_model: str | None = None,
        score: ScoreFn | None = None,
        skills_dirs: Sequence[Path] = (),
    ) -> None:
        self.suite = load_suite(folder)
        self.skillset = self.suite.resolve_skill(Library(default_skill_paths(skills_dirs)))
        judge_spec = judge_model or self.suite.config.judge_model
        self.settings = EvalSettings(
            self.skillset,
            model_factory(model),
            score or self.suite.scorer(self.skillset.skill).score,
            build_model(judge_spec) if judge_spec else None,
        )
        self.model = model or "scripted"
        self.repeats = repeats or self.suite.config.repeats
        self.concurrency = concurrency
        self._report: Report | None = None

    def cases(self) -> list[ParameterSet]:
        """One ``(scenario, criterion)`` parameter per scenario × criterion (and suite check)."""
        keys = [c.id for c in self.skillset.skill.success_criteria] + list(self.suite.config.checks)
        return [
            pytest.param(s.name, key, id=f"{s.name}/{key}")
            for s in self.suite.scenarios
            for key in keys
        ]

    def report(self) -> Report:
        """The suite's report, running it on first use."""
        if self._report is None:
            records = asyncio.run(
                run_suite(
                    self.suite, self.settings, repeats=self.repeats, concurrency=self.concurrency
                )
            )
            self._report = build_report(
                self.suite, self.skillset.skill.name, self.model, self.repeats, records
            )
        return self._report

    def check(self, scenario: str, criterion: str) -> None:
        """Fail the calling test unless ``criterion`` held in every run of ``scenario``."""
        bad = [
            f"run {run.repeat}: {res.error or res.comment}"
            for run in self.report().runs
            if run.scenario == scenario
            for res in run.results
            if res.key == criterion and not res.passed
        ]
        if bad:
            pytest.fail(f"{scenario} / {criterion}:\n" + "\n".join(bad), pytrace=False)

    def check_thresholds(self) -> None:
        """Fail the calling test unless every threshold of the suite holds."""
        failed = [
            f"{c.name}: {c.value:.0%} < {c.threshold:.0%}" for c in self.report().checks if not c.ok
        ]
        if failed:
            pytest.fail("thresholds not met: " + "; ".join(failed), pytrace=False)
