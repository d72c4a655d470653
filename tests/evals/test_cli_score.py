"""``skillweave score``: transcripts made elsewhere, scored from the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agent.cli import main

REPO = Path(__file__).resolve().parents[2]
LABELLED = REPO / "evals" / "incident-response" / "labelled"
SUITE = REPO / "evals" / "incident-response"
GOOD = str(LABELLED / "good.json")
BLAMEFUL = str(LABELLED / "blameful-postmortem.json")
BLAMELESS = "blameless-postmortem-document-created-within-48"


def _score(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["score", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_good_transcript_passes_every_criterion_and_exits_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _score(capsys, GOOD, "--skill", "incident-response")
    assert code == 0
    assert "9/9 criteria passed" in out


def test_a_flawed_transcript_exits_one_naming_the_failed_criterion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _score(capsys, BLAMEFUL, "--skill", "incident-response")
    assert code == 1
    assert f"FAIL  {BLAMELESS}" in out
    assert "forbidden wording" in out


def test_json_gives_every_criterion_of_every_transcript(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _score(capsys, GOOD, BLAMEFUL, "--skill", "incident-response", "--json")
    good, blameful = json.loads(out)
    assert code == 1
    assert [good["passed"], blameful["passed"]] == [True, False]
    for transcript in (good, blameful):
        assert len(transcript["criteria"]) == 9
        assert {"key", "passed", "score", "comment"} <= set(transcript["criteria"][0])
    verdict = {c["key"]: c["passed"] for c in blameful["criteria"]}
    assert verdict[BLAMELESS] is False


def test_suite_scorers_and_scenario_ground_truth_apply(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """good.json replays deploy-correlated-spike: its ground truth holds, another's does not."""
    args = (GOOD, "--skill", "incident-response", "--suite", str(SUITE), "--json")
    _, right, _ = _score(capsys, *args, "--scenario", "deploy-correlated-spike")
    _, wrong, _ = _score(capsys, *args, "--scenario", "cosmetic-sev4")
    severity = "incident-has-a-severity-classification-assigned"
    assert {c["key"]: c["passed"] for c in json.loads(right)[0]["criteria"]}[severity] is True
    [crit] = [c for c in json.loads(wrong)[0]["criteria"] if c["key"] == severity]
    assert crit["passed"] is False
    assert "want 'SEV4'" in crit["comment"]


def test_suite_ground_truth_without_a_scenario_is_errored_not_passed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _score(capsys, GOOD, "--skill", "incident-response", "--suite", str(SUITE))
    assert code == 1
    assert "ERROR incident-has-a-severity-classification-assigned" in out
    assert "no expected.severity" in out


def test_a_file_that_is_not_a_transcript_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "run.json"
    bad.write_text('{"status": "completed"}', encoding="utf-8")
    code, _, err = _score(capsys, str(bad), "--skill", "incident-response")
    assert code == 2
    assert "run.json: not a skillweave transcript: thread_id" in err


def test_a_missing_transcript_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _score(capsys, str(tmp_path / "nope.json"), "--skill", "incident-response")
    assert code == 2
    assert "nope.json: cannot read" in err


def test_a_transcript_of_another_skill_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _score(capsys, GOOD, "--skill", "constitution")
    assert code == 2
    assert "a run of skill 'incident-response', not 'constitution'" in err


def test_scenario_without_suite_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _score(capsys, GOOD, "--skill", "incident-response", "--scenario", "x")
    assert code == 2
    assert "--scenario needs --suite" in err


def test_an_unknown_scenario_is_a_usage_error_listing_the_suites(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = (GOOD, "--skill", "incident-response", "--suite", str(SUITE), "--scenario", "x")
    code, _, err = _score(capsys, *args)
    assert code == 2
    assert "no scenario 'x'; it has ambiguous-sev2-sev3" in err


def test_a_transcript_can_come_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(GOOD).read_text(encoding="utf-8")))
    code, out, _ = _score(capsys, "-", "--skill", "incident-response")
    assert code == 0
    assert "-: 9/9 criteria passed" in out
