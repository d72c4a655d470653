"""The deterministic scorers agree with every hand-written label of the labelled transcript set.

The set (evals/incident-response/labelled/) holds real offline runs made live and
deliberately flawed copies; labels.yaml gives the expected verdict of each of the
skill's Success Criteria per file. Scoring uses the skill's default mapping only.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.audit import verify_chain
from agent.engine.transcript import Transcript
from agent.evals.results import CriterionResult, ScoreContext
from agent.evals.scoring import scorer_plan
from agent.skill.library import Library
from agent.skill.model import Skill

REPO = Path(__file__).resolve().parents[2]
LABELLED = REPO / "evals" / "incident-response" / "labelled"
LABELS: dict[str, dict[str, Any]] = yaml.safe_load(
    (LABELLED / "labels.yaml").read_text(encoding="utf-8")
)
GOOD = "good.json"
PAIRS = [(file, key) for file, label in LABELS.items() for key in label["expected"]]
FLAWED = [file for file, label in LABELS.items() if "fail" in label["expected"].values()]


@functools.cache
def _skill() -> Skill:
    return Library([REPO / "skills"]).resolve("incident-response").skill


@functools.cache
def _transcript(file: str) -> Transcript:
    return Transcript.model_validate_json((LABELLED / file).read_text(encoding="utf-8"))


@functools.cache
def _verdicts(file: str) -> dict[str, CriterionResult]:
    skill = _skill()
    results = asyncio.run(scorer_plan(skill).score(_transcript(file), ScoreContext(skill, {})))
    return {r.key: r for r in results}


def _expected(file: str) -> dict[str, str]:
    expected: dict[str, str] = LABELS[file]["expected"]
    return expected


@pytest.mark.parametrize(("file", "criterion"), PAIRS, ids=[f"{f}:{c}" for f, c in PAIRS])
def test_scorer_verdict_matches_the_label(file: str, criterion: str) -> None:
    result = _verdicts(file)[criterion]
    assert result.error is None, result.error
    want = _expected(file)[criterion] == "pass"
    assert result.passed == want, f"{file}: labelled {_expected(file)[criterion]}; {result.comment}"


def test_labels_cover_every_file_and_every_criterion() -> None:
    files = sorted(p.name for p in LABELLED.glob("*.json"))
    assert sorted(LABELS) == files
    criteria = [c.id for c in _skill().success_criteria]
    for file, label in LABELS.items():
        assert label.get("flaw"), f"{file}: no flaw description"
        assert list(_expected(file)) == criteria, file
        assert set(_expected(file).values()) <= {"pass", "fail"}, file


@pytest.mark.parametrize("file", FLAWED)
def test_flawed_file_fails_exactly_its_labelled_criteria_that_good_passes(file: str) -> None:
    good, flawed = _verdicts(GOOD), _verdicts(file)
    broken = {k for k, r in flawed.items() if good[k].passed and not r.passed}
    assert broken, f"{file} fails no criterion that {GOOD} passes"
    assert broken == {k for k, v in _expected(file).items() if v == "fail"}


@pytest.mark.parametrize("file", sorted(LABELS))
def test_transcript_is_a_live_run_with_an_intact_audit_chain(file: str) -> None:
    transcript = _transcript(file)
    assert transcript.status == "completed"
    assert not verify_chain([e.model_dump() for e in transcript.audit_log])
    started = datetime.fromisoformat(str(transcript.started_at))
    detected = datetime.fromisoformat(str(transcript.inputs["detected_at"]))
    assert started - detected == timedelta(minutes=1)
