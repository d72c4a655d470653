"""Eval suites: load one from its directory and run every scenario K times.

A suite is a directory ``evals/<suite>/``::

    suite.yaml
      skill: incident-response      # skill name, or a SKILL.md path relative to the suite
      scorers: {...}                # per criterion (agent/evals/scoring.py), over the skill's
      checks: {...}                 # named checks beyond the criteria, reported like them
      thresholds:
        pass_rate: 0.8              # share of runs in which every criterion passed
        per_criterion:              # share of runs in which that one criterion passed
          severity-within-5-minutes: 0.9
      repeats: 1                    # runs per scenario unless the caller says otherwise
      judge_model: SPEC             # optional model for LLM-judge scorers
    scenarios/<name>/
      scenario.yaml                 # description, inputs, answers, expected
      script.yaml                   # the scripted model's replies, for offline runs
      incident.md, alerts.csv, ...  # the evidence bundle (examples/incidents/README.md)

``answers`` are keyed by question id, trigger id or question text, like
``skillweave run --answers-file``. ``expected`` is ground truth for the
scorers only: it never reaches the model under test.

Each run gets its own thread id and a temporary data directory (SQLite), so
runs share nothing and may go concurrently. Scoring goes through a
:data:`ScoreFn`, normally :meth:`Suite.scorer` (the skill's default scorers
with the suite's laid over them, :mod:`agent.evals.scoring`); with none given,
:func:`fail_closed` reports every criterion as errored, never as passed.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.engine import api
from agent.engine.answers import match_answers
from agent.engine.transcript import Transcript
from agent.errors import UserError, dotted, first_problem
from agent.evals.results import CriterionResult, ScoreContext, ScoreFn, errored
from agent.evals.scoring import ScorerPlan, scorer_plan, yaml_locator
from agent.llm import ScriptedModel, build_model
from agent.llm.base import ChatModel
from agent.skill.library import Library, SkillSet
from agent.skill.model import Skill

SUITE_FILE = "suite.yaml"
SCENARIO_FILE = "scenario.yaml"
SCRIPT_FILE = "script.yaml"
M = TypeVar("M", bound=BaseModel)


class SuiteError(UserError):
    """A suite or scenario file is missing or malformed (the message names file and key)."""


async def fail_closed(transcript: Transcript, ctx: ScoreContext) -> list[CriterionResult]:
    """The scorer used when none is wired in: nothing passes without a real verdict."""
    return errored(ctx.skill, "no scorer is wired in for this criterion")


# --- suite files -------------------------------------------------------------------------


class Thresholds(BaseModel):
    """What must hold for the suite to pass (the eval's exit code)."""

    model_config = ConfigDict(extra="forbid")

    pass_rate: float = Field(default=1.0, ge=0, le=1)
    per_criterion: dict[str, float] = Field(default_factory=dict)


class SuiteFile(BaseModel):
    """``suite.yaml``; keys other than these belong to the scoring module."""

    model_config = ConfigDict(extra="allow")

    skill: str
    scorers: dict[str, Any] = Field(default_factory=dict)
    checks: dict[str, Any] = Field(default_factory=dict)
    """Named checks beyond the skill's criteria, scored and reported like them."""
    thresholds: Thresholds = Field(default_factory=Thresholds)
    repeats: int = Field(default=1, ge=1)
    judge_model: str | None = None


class ScenarioFile(BaseModel):
    """``scenario.yaml``: what the run gets, how the human answers, what is true."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    inputs: dict[str, Any]
    answers: dict[str, str | dict[str, str]] = Field(default_factory=dict)
    expected: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """One scenario folder: its files and the evidence bundle beside them."""

    name: str
    folder: Path
    spec: ScenarioFile

    @property
    def script(self) -> Path | None:
        """The scripted model's replies, when the scenario can run offline."""
        path = self.folder / SCRIPT_FILE
        return path if path.is_file() else None


@dataclass(frozen=True)
class Suite:
    """A loaded suite directory."""

    name: str
    folder: Path
    config: SuiteFile
    scenarios: tuple[Scenario, ...]

    def resolve_skill(self, library: Library) -> SkillSet:
        """The skill under test: a path beside the suite, else a name in ``library``."""
        beside = self.folder / self.config.skill
        skillset = library.resolve(str(beside) if beside.is_file() else self.config.skill)
        keys = {c.id for c in skillset.skill.success_criteria} | set(self.config.checks)
        unknown = sorted(set(self.config.thresholds.per_criterion) - keys)
        if unknown:
            raise SuiteError(
                f"{self.folder / SUITE_FILE}: thresholds.per_criterion: unknown criterion "
                f"{', '.join(unknown)}; the skill's criteria are {', '.join(sorted(keys))}"
            )
        return skillset

    def scorer(self, skill: Skill) -> ScorerPlan:
        """The skill's default scorers with this suite's ``scorers:`` laid over them."""
        file = self.folder / SUITE_FILE
        locate = yaml_locator(file, file.read_text(encoding="utf-8"))
        return scorer_plan(skill, self.config.scorers, locate, suite_checks=self.config.checks)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None


def _validated(model: type[M], path: Path) -> M:
    """The file as ``model``, or one error naming the file and the first bad key."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: must be a mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        loc, message = first_problem(exc)
        raise SuiteError(f"{path}: {dotted(loc, '(top level)')}: {message}") from None


def load_suite(folder: Path) -> Suite:
    """Read ``suite.yaml`` and every ``scenarios/*/scenario.yaml`` of a suite directory."""
    if not (folder / SUITE_FILE).is_file():
        raise SuiteError(f"{folder}: not a suite directory (no {SUITE_FILE})")
    config = _validated(SuiteFile, folder / SUITE_FILE)
    root = folder / "scenarios"
    scenarios = tuple(
        Scenario(path.parent.name, path.parent, _validated(ScenarioFile, path))
        for path in sorted(root.glob(f"*/{SCENARIO_FILE}"))
    )
    if not scenarios:
        raise SuiteError(f"{folder}: no scenarios (expected {root}/<name>/{SCENARIO_FILE})")
    return Suite(folder.resolve().name, folder, config, scenarios)


# --- running -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    """One scenario run, scored: the rows of the report."""

    scenario: str
    repeat: int
    thread_id: str
    status: str
    """The run's final status, or ``error`` when it could not be run or scored."""
    results: tuple[CriterionResult, ...]
    seconds: float
    error: str | None = None

    @property
    def passed(self) -> bool:
        """A run passes when every criterion passed (and there was something to pass)."""
        return self.error is None and bool(self.results) and all(r.passed for r in self.results)


ModelFactory = Callable[[Scenario], ChatModel]
"""A fresh model under test for one run (a scripted model keeps per-run state)."""


def model_factory(spec: str | None) -> ModelFactory:
    """``spec`` for every run, or with none each scenario's own ``script.yaml`` (offline)."""

    def make(scenario: Scenario) -> ChatModel:
        if spec is not None:
            return build_model(spec)
        if scenario.script is None:
            raise SuiteError(f"{scenario.folder}: no {SCRIPT_FILE}; pass --model to run it")
        return ScriptedModel.from_file(scenario.script)

    return make


@dataclass(frozen=True)
class EvalSettings:
    """How to run a suite: shared by every run."""

    skillset: SkillSet
    make_model: ModelFactory
    score: ScoreFn = fail_closed
    judge: ChatModel | None = None


async def _transcript(
    skillset: SkillSet, scenario: Scenario, thread_id: str, model: ChatModel, data_dir: Path
) -> Transcript:
    """Drive the run, answering from the scenario, until it stops needing answers."""
    result = await api.start(
        skillset,
        scenario.spec.inputs,
        thread_id,
        model=model,
        data_dir=data_dir,
        evidence=scenario.folder,
    )
    answered: set[str] = set()
    while result.status == "paused":
        answers = match_answers(result.questions, scenario.spec.answers, answered)
        if not answers:
            break  # left paused: the scorers see a run that never finished
        answered |= set(answers)
        result = await api.resume(thread_id, answers, model=model, data_dir=data_dir)
    return await api.export_transcript(thread_id, data_dir=data_dir)


def _complete(results: Sequence[CriterionResult], skill: Skill) -> tuple[CriterionResult, ...]:
    """The scorer's results plus an errored one for every criterion it left out."""
    seen = {r.key for r in results}
    missing = [
        CriterionResult(
            key=c.id, passed=False, score=0.0, comment="no result", error="the scorer gave none"
        )
        for c in skill.success_criteria
        if c.id not in seen
    ]
    return (*results, *missing)


async def run_scenario(
    suite: Suite, scenario: Scenario, repeat: int, settings: EvalSettings
) -> RunRecord:
    """Run ``scenario`` once in a fresh thread and data directory, then score it.

    Any failure (model fault, bad script, scorer crash) becomes an errored
    record, so one broken run never hides the others.
    """
    skill = settings.skillset.skill
    thread_id = f"eval-{suite.name}-{scenario.name}-{repeat}-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    ctx = ScoreContext(skill, scenario.spec.expected, settings.judge)
    try:
        with tempfile.TemporaryDirectory(prefix="skillweave-eval-") as tmp:
            model = settings.make_model(scenario)
            transcript = await _transcript(settings.skillset, scenario, thread_id, model, Path(tmp))
        results = _complete(await settings.score(transcript, ctx), skill)
    except Exception as exc:  # reported per run, never a silent pass
        message = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        elapsed = time.perf_counter() - started
        return RunRecord(
            scenario.name,
            repeat,
            thread_id,
            "error",
            tuple(errored(skill, message, suite.config.checks)),
            elapsed,
            message,
        )
    elapsed = time.perf_counter() - started
    return RunRecord(scenario.name, repeat, thread_id, transcript.status, results, elapsed)


async def run_suite(
    suite: Suite,
    settings: EvalSettings,
    *,
    repeats: int,
    concurrency: int,
    on_done: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Every scenario ``repeats`` times, at most ``concurrency`` at once, in a stable order.

    ``on_done`` sees each record as soon as its run finishes (progress output).
    """
    if repeats < 1 or concurrency < 1:
        raise UserError("repeats and concurrency must be at least 1")
    gate = asyncio.Semaphore(concurrency)

    async def one(scenario: Scenario, repeat: int) -> RunRecord:
        async with gate:
            record = await run_scenario(suite, scenario, repeat, settings)
        if on_done is not None:
            on_done(record)
        return record

    jobs = [one(s, r) for s in suite.scenarios for r in range(1, repeats + 1)]
    return list(await asyncio.gather(*jobs))
