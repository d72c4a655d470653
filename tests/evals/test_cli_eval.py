"""``skillweave eval``: offline suite runs, the three reports, progress and exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import xmlschema
import yaml

from agent.cli import main

REPO = Path(__file__).resolve().parents[2]
JUNIT_XSD = Path(__file__).with_name("junit.xsd")
MakeSuite = Callable[..., Path]


def _eval(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["eval", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_incident_response_suite_offline_writes_the_three_reports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "reports"
    suite = str(REPO / "evals" / "incident-response")
    args = ("--repeats", "2", "--concurrency", "2", "--report-dir", str(out_dir))
    code, out, err = _eval(capsys, suite, *args)
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    assert code == 0
    assert report["ok"] is True
    assert len(report["runs"]) == len(report["scenarios"]) * 2 >= 24
    assert all(run["status"] == "completed" and run["passed"] for run in report["runs"])
    junit = (out_dir / "junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(JUNIT_XSD).validate(junit)
    cases = ET.fromstring(junit).findall("testsuite/testcase")
    assert len(cases) == len(report["scenarios"]) * len(report["criteria"]) == 12 * 10
    assert (
        (out_dir / "summary.md")
        .read_text(encoding="utf-8")
        .startswith("# Eval `incident-response`")
    )
    assert err.count("\n[") + err.startswith("[") == len(report["runs"])
    assert "reports:" in out


# With the skill's default scorers alone, a replayed scenario fails exactly one criterion:
# its detected_at lies days before the run, so severity is not set "within 5 minutes".
LATE = "incident-has-a-severity-classification-assigned"
REPLAY = {LATE: [{"within": {"from": "started", "to": {"field": "severity"}, "max": "5m"}}]}


def test_thresholds_that_hold_exit_zero(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite, tmp_path: Path
) -> None:
    folder = make_suite(scorers=REPLAY, thresholds={"pass_rate": 1})
    code, out, _ = _eval(capsys, str(folder), "--report-dir", str(tmp_path / "r"))
    assert code == 0
    assert "1/1 runs passed, thresholds hold" in out


def test_thresholds_that_fail_exit_one(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite, tmp_path: Path
) -> None:
    folder = make_suite(thresholds={"pass_rate": 0.5, "per_criterion": {LATE: 0.9}})
    code, out, _ = _eval(capsys, str(folder), "--report-dir", str(tmp_path / "r"))
    assert code == 1
    assert "pass_rate 0% < 50%" in out
    assert f"{LATE} 0% < 90%" in out


def test_progress_prints_one_line_per_finished_run(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite, tmp_path: Path
) -> None:
    folder = make_suite(["cosmetic-sev4"])
    _, _, err = _eval(capsys, str(folder), "--repeats", "2", "--report-dir", str(tmp_path / "r"))
    lines = err.splitlines()
    assert len(lines) == 2
    assert all(
        line.startswith(("[1/2] cosmetic-sev4 #", "[2/2] cosmetic-sev4 #")) for line in lines
    )
    assert all(f"FAIL 8/9, failed: {LATE}" in line for line in lines)


def test_a_scorer_mistake_stops_the_suite_before_any_run(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite
) -> None:
    folder = make_suite(scorers={LATE: [{"within": {"from": "started", "max": "soon"}}]})
    code, _, err = _eval(capsys, str(folder))
    assert code == 2
    assert f"suite.yaml:4: {LATE}: within:" in err
    assert "[1/1]" not in err


def test_json_prints_the_report(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite, tmp_path: Path
) -> None:
    folder = make_suite(["cosmetic-sev4"], thresholds={"pass_rate": 0})
    code, out, _ = _eval(capsys, str(folder), "--json", "--report-dir", str(tmp_path / "r"))
    assert code == 0
    assert json.loads(out) == json.loads((tmp_path / "r" / "report.json").read_text("utf-8"))


def test_reports_default_to_eval_reports_in_the_working_directory(
    capsys: pytest.CaptureFixture[str],
    make_suite: MakeSuite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = make_suite(["cosmetic-sev4"])
    monkeypatch.chdir(tmp_path)
    _eval(capsys, str(folder))
    [made] = (tmp_path / "eval-reports").iterdir()
    assert made.name.startswith("mini-")
    assert sorted(p.name for p in made.iterdir()) == ["junit.xml", "report.json", "summary.md"]


def test_a_missing_suite_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _eval(capsys, str(tmp_path / "nope"))
    assert code == 2
    assert "no such suite directory" in err


def test_a_bad_suite_file_is_a_usage_error_naming_file_and_key(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite
) -> None:
    folder = make_suite(repeats=0)
    code, _, err = _eval(capsys, str(folder))
    assert code == 2
    assert "suite.yaml: repeats: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize("option", ["--repeats", "--concurrency"])
def test_counts_below_one_are_usage_errors(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite, option: str
) -> None:
    code, _, err = _eval(capsys, str(make_suite()), option, "0")
    assert code == 2
    assert "must be a whole number >= 1" in err


def test_offline_without_a_script_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite
) -> None:
    folder = make_suite()
    (folder / "scenarios" / "full-outage-sev1" / "script.yaml").unlink()
    code, _, err = _eval(capsys, str(folder))
    assert code == 2
    assert "no script.yaml; pass --model" in err


BLAMELESS = "blameless-postmortem-document-created-within-48"
WITH_JUDGE = {
    **REPLAY,
    BLAMELESS: ["default", {"judge": {"section": "$.outputs.postmortem"}}],
}


def _judge_script(tmp_path: Path, passed: bool) -> str:
    reply = {"reasoning": "The postmortem names systems, not people.", "passed": passed}
    script = {f"eval-judge:{BLAMELESS}": [{"output": {**reply, "score": 0.9 if passed else 0.1}}]}
    path = tmp_path / "judge.yaml"
    path.write_text(yaml.safe_dump(script), encoding="utf-8")
    return f"scripted:{path}"


def _blameless(report_dir: Path) -> dict[str, object]:
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    [run] = report["runs"]
    [result] = [r for r in run["results"] if r["key"] == BLAMELESS]
    return dict(result)


@pytest.mark.parametrize("passed", [True, False])
def test_the_judge_model_decides_a_judged_criterion(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite, tmp_path: Path, passed: bool
) -> None:
    folder = make_suite(scorers=WITH_JUDGE, thresholds={"pass_rate": 1})
    judge = _judge_script(tmp_path, passed)
    code, _, _ = _eval(capsys, str(folder), "--judge-model", judge, "--report-dir", str(tmp_path))
    result = _blameless(tmp_path)
    assert code == (0 if passed else 1)
    assert result["passed"] is passed
    assert "judge: The postmortem names systems, not people." in str(result["comment"])


def test_a_judged_criterion_without_a_judge_model_is_errored(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite, tmp_path: Path
) -> None:
    folder = make_suite(scorers=WITH_JUDGE)
    code, _, _ = _eval(capsys, str(folder), "--report-dir", str(tmp_path))
    result = _blameless(tmp_path)
    assert code == 1
    assert result["passed"] is False
    assert "no judge model configured" in str(result["error"])


def test_a_suite_check_is_reported_and_fails_when_its_question_is_not_asked(
    capsys: pytest.CaptureFixture[str], make_suite: MakeSuite, tmp_path: Path
) -> None:
    folder = make_suite(
        ["cosmetic-sev4"],
        scorers=REPLAY,
        checks={"asks-expected": [{"asked": {"expected": "questions", "only": True}}]},
    )
    scenario = folder / "scenarios" / "cosmetic-sev4" / "scenario.yaml"
    spec = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    spec["expected"]["questions"] = ["severity-could-reasonably-be-classified-at"]
    scenario.write_text(yaml.safe_dump(spec), encoding="utf-8")
    code, _, err = _eval(capsys, str(folder), "--report-dir", str(tmp_path))
    junit = ET.fromstring((tmp_path / "junit.xml").read_text(encoding="utf-8"))
    [case] = [c for c in junit.iter("testcase") if c.get("name", "").endswith("asks-expected")]
    assert code == 1
    assert "FAIL 9/10, failed: asks-expected" in err
    assert case.find("failure") is not None
