"""Suite loading and running: each run isolated, answered from its scenario, then scored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import yaml

from agent.engine.transcript import Transcript
from agent.evals.results import CriterionResult, ScoreContext, ScoreFn
from agent.evals.runner import (
    EvalSettings,
    SuiteError,
    fail_closed,
    load_suite,
    model_factory,
    run_suite,
)
from agent.skill.library import Library, default_skill_paths

LIBRARY = Library(default_skill_paths())
MakeSuite = Callable[..., Path]


def _all_pass(seen: list[tuple[Transcript, ScoreContext]]) -> ScoreFn:
    async def score(transcript: Transcript, ctx: ScoreContext) -> list[CriterionResult]:
        seen.append((transcript, ctx))
        return [
            CriterionResult(key=c.id, passed=True, score=1.0) for c in ctx.skill.success_criteria
        ]

    return score


def _settings(folder: Path, score: ScoreFn = fail_closed) -> EvalSettings:
    suite = load_suite(folder)
    return EvalSettings(suite.resolve_skill(LIBRARY), model_factory(None), score)


def test_load_suite_reads_config_and_scenarios(make_suite: MakeSuite) -> None:
    folder = make_suite(["full-outage-sev1", "cosmetic-sev4"], repeats=3)
    suite = load_suite(folder)
    assert suite.name == "mini"
    assert suite.config.repeats == 3
    assert [s.name for s in suite.scenarios] == ["cosmetic-sev4", "full-outage-sev1"]
    assert suite.scenarios[1].spec.expected["severity"] == "SEV1"


def test_a_directory_without_suite_yaml_is_a_suite_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="not a suite directory"):
        load_suite(tmp_path)


def test_a_bad_threshold_names_file_and_key(make_suite: MakeSuite) -> None:
    folder = make_suite(thresholds={"pass_rate": 2})
    with pytest.raises(SuiteError, match=r"suite\.yaml: thresholds\.pass_rate: "):
        load_suite(folder)


def test_a_scenario_with_an_unknown_key_names_the_scenario_file(make_suite: MakeSuite) -> None:
    folder = make_suite()
    path = folder / "scenarios" / "full-outage-sev1" / "scenario.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**data, "expectd": {}}), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"full-outage-sev1/scenario\.yaml: expectd: "):
        load_suite(folder)


def test_a_suite_without_scenarios_is_a_suite_error(make_suite: MakeSuite) -> None:
    with pytest.raises(SuiteError, match="no scenarios"):
        load_suite(make_suite([]))


def test_a_threshold_for_an_unknown_criterion_is_a_suite_error(make_suite: MakeSuite) -> None:
    suite = load_suite(make_suite(thresholds={"per_criterion": {"no-such-criterion": 1}}))
    with pytest.raises(SuiteError, match="unknown criterion no-such-criterion"):
        suite.resolve_skill(LIBRARY)


async def test_each_run_completes_in_its_own_thread_and_is_scored(make_suite: MakeSuite) -> None:
    folder = make_suite(["full-outage-sev1", "ambiguous-sev2-sev3"])
    seen: list[tuple[Transcript, ScoreContext]] = []
    settings = _settings(folder, _all_pass(seen))
    records = await run_suite(load_suite(folder), settings, repeats=2, concurrency=2)
    assert [(r.scenario, r.repeat, r.status, r.passed) for r in records] == [
        ("ambiguous-sev2-sev3", 1, "completed", True),
        ("ambiguous-sev2-sev3", 2, "completed", True),
        ("full-outage-sev1", 1, "completed", True),
        ("full-outage-sev1", 2, "completed", True),
    ]
    assert len({r.thread_id for r in records}) == 4
    assert {t.thread_id for t, _ in seen} == {r.thread_id for r in records}


async def test_questions_are_answered_from_the_scenario(make_suite: MakeSuite) -> None:
    folder = make_suite(["ambiguous-sev2-sev3"])
    seen: list[tuple[Transcript, ScoreContext]] = []
    await run_suite(
        load_suite(folder), _settings(folder, _all_pass(seen)), repeats=1, concurrency=1
    )
    transcript, ctx = seen[0]
    assert {q.trigger for q in transcript.questions} >= set(ctx.expected["questions"])
    assert any(a.text.startswith("SEV2") for a in transcript.answers)


async def test_the_scorer_gets_expected_values_the_model_never_saw(make_suite: MakeSuite) -> None:
    folder = make_suite(["cosmetic-sev4"])
    seen: list[tuple[Transcript, ScoreContext]] = []
    await run_suite(
        load_suite(folder), _settings(folder, _all_pass(seen)), repeats=1, concurrency=1
    )
    transcript, ctx = seen[0]
    assert ctx.expected["severity"] == "SEV4"
    assert "expected" not in transcript.inputs


async def test_without_a_scorer_every_criterion_errors(make_suite: MakeSuite) -> None:
    folder = make_suite()
    [record] = await run_suite(load_suite(folder), _settings(folder), repeats=1, concurrency=1)
    assert not record.passed
    assert len(record.results) == 9
    assert all(r.error and not r.passed for r in record.results)


async def test_criteria_the_scorer_left_out_are_errored(make_suite: MakeSuite) -> None:
    async def partial(transcript: Transcript, ctx: ScoreContext) -> Sequence[CriterionResult]:
        first = ctx.skill.success_criteria[0].id
        return [CriterionResult(key=first, passed=True, score=1.0)]

    folder = make_suite()
    [record] = await run_suite(
        load_suite(folder), _settings(folder, partial), repeats=1, concurrency=1
    )
    assert [r.passed for r in record.results] == [True] + [False] * 8
    assert all(r.error == "the scorer gave none" for r in record.results[1:])


async def test_a_run_that_cannot_start_is_an_errored_record(make_suite: MakeSuite) -> None:
    folder = make_suite()
    (folder / "scenarios" / "full-outage-sev1" / "script.yaml").unlink()
    [record] = await run_suite(load_suite(folder), _settings(folder), repeats=1, concurrency=1)
    assert record.status == "error"
    assert record.error is not None
    assert "no script.yaml" in record.error
    assert all(r.error == record.error for r in record.results)


async def test_a_scorer_crash_is_an_errored_record(make_suite: MakeSuite) -> None:
    async def crash(transcript: Transcript, ctx: ScoreContext) -> Sequence[CriterionResult]:
        raise RuntimeError("boom")

    folder = make_suite()
    [record] = await run_suite(
        load_suite(folder), _settings(folder, crash), repeats=1, concurrency=1
    )
    assert record.error == "RuntimeError: boom"
    assert not record.passed


async def test_concurrency_bounds_the_runs_in_flight(make_suite: MakeSuite) -> None:
    in_flight, peak = 0, 0

    async def slow(transcript: Transcript, ctx: ScoreContext) -> Sequence[CriterionResult]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return []

    folder = make_suite(["cosmetic-sev4"])
    await run_suite(load_suite(folder), _settings(folder, slow), repeats=4, concurrency=2)
    assert peak == 2


async def test_progress_sees_every_run_as_it_finishes(make_suite: MakeSuite) -> None:
    folder = make_suite(["cosmetic-sev4"])
    done: list[int] = []
    await run_suite(
        load_suite(folder),
        _settings(folder),
        repeats=3,
        concurrency=3,
        on_done=lambda r: done.append(r.repeat),
    )
    assert sorted(done) == [1, 2, 3]
