"""Report aggregates, threshold checks and the three report files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from syrupy.assertion import SnapshotAssertion

from agent.evals.report import Report, build_report, junit_xml, summary_markdown, write_reports
from agent.evals.results import CriterionResult
from agent.evals.runner import RunRecord, Suite, SuiteFile, Thresholds

JUNIT_XSD = Path(__file__).with_name("junit.xsd")


def _result(key: str, passed: bool, error: str | None = None) -> CriterionResult:
    comment = "ok" if passed else f"{key} missing"
    return CriterionResult(
        key=key, passed=passed, score=float(passed), comment=comment, error=error
    )


def _run(scenario: str, repeat: int, *verdicts: bool | str) -> RunRecord:
    """A run whose criteria ``a``, ``b``... passed (True), failed (False) or errored (text)."""
    results = tuple(
        _result(key, v is True, v if isinstance(v, str) else None)
        for key, v in zip("abc", verdicts, strict=False)
    )
    return RunRecord(scenario, repeat, f"t-{scenario}-{repeat}", "completed", results, 0.5)


def _suite(**thresholds: object) -> Suite:
    config = SuiteFile(skill="s", thresholds=Thresholds.model_validate(thresholds))
    return Suite("demo", Path("demo"), config, ())


RUNS = [
    _run("alpha", 1, True, True),
    _run("alpha", 2, True, True),
    _run("beta", 1, True, False),
    _run("beta", 2, True, "judge reply did not parse"),
]


def _report(**thresholds: object) -> Report:
    return build_report(_suite(**thresholds), "s", "scripted", 2, RUNS)


def test_a_run_passes_only_when_every_criterion_passes() -> None:
    report = _report()
    assert [(s.name, s.passed, s.runs) for s in report.scenarios] == [
        ("alpha", 2, 2),
        ("beta", 0, 2),
    ]
    assert report.pass_rate == pytest.approx(0.5)


def test_pass_k_per_scenario_and_overall_mean() -> None:
    report = _report()
    alpha, beta = report.scenarios
    assert alpha.pass_hat_k == {1: 1.0, 2: 1.0}
    assert beta.pass_at_k == {1: 0.0, 2: 0.0}
    assert report.pass_at_k[2] == pytest.approx(0.5)
    assert report.pass_hat_k[1] == pytest.approx(0.5)


def test_criterion_pass_rate_counts_errors_as_not_passing() -> None:
    rates = {c.key: (c.pass_rate, c.errored) for c in _report().criteria}
    assert rates == {"a": (1.0, 0), "b": (0.5, 1)}


def test_report_is_ok_when_thresholds_hold() -> None:
    report = _report(pass_rate=0.5, per_criterion={"a": 1.0})
    assert report.ok
    assert [c.name for c in report.checks] == ["pass_rate", "a"]


def test_pass_rate_below_threshold_fails_the_report() -> None:
    report = _report(pass_rate=0.75)
    assert not report.ok
    assert report.checks[0].value == pytest.approx(0.5)


def test_per_criterion_threshold_fails_the_report() -> None:
    report = _report(pass_rate=0.0, per_criterion={"b": 0.9})
    assert not report.ok
    assert [c.ok for c in report.checks] == [True, False]


def test_default_threshold_requires_every_run_to_pass() -> None:
    assert not _report().ok


def test_junit_has_one_case_per_scenario_and_criterion() -> None:
    root = ET.fromstring(junit_xml(_report()))
    cases = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert cases == [
        ("demo.alpha", "a"),
        ("demo.alpha", "b"),
        ("demo.beta", "a"),
        ("demo.beta", "b"),
    ]


def test_junit_marks_failed_and_errored_cases() -> None:
    root = ET.fromstring(junit_xml(_report()))
    beta_b = root.findall("testsuite/testcase")[3]
    error = beta_b.find("error")
    assert error is not None
    assert "judge reply did not parse" in (error.text or "")
    assert root.get("errors") == "1"
    assert root.get("failures") == "0"
    assert root.findall("testsuite/testcase")[0].find("failure") is None


def test_junit_failure_element_when_no_run_errored() -> None:
    report = build_report(_suite(), "s", "scripted", 1, [_run("gamma", 1, True, False)])
    failure = ET.fromstring(junit_xml(report)).find("testsuite/testcase[@name='b']/failure")
    assert failure is not None
    assert failure.get("message") == "failure in 1 of 1 runs: b missing"


def test_junit_validates_against_the_junit_schema() -> None:
    xmlschema.XMLSchema(JUNIT_XSD).validate(junit_xml(_report()))


def test_the_junit_schema_rejects_a_case_without_a_name() -> None:
    bad = '<testsuites><testsuite name="x" tests="1" failures="0" errors="0">'
    bad += '<testcase classname="x"/></testsuite></testsuites>'
    assert not xmlschema.XMLSchema(JUNIT_XSD).is_valid(bad)


def test_summary_shows_pass_at_1_once_with_one_run_per_scenario() -> None:
    first_runs = [r for r in RUNS if r.repeat == 1]
    report = build_report(_suite(), "s", "scripted", 1, first_runs)
    header = next(line for line in summary_markdown(report).splitlines() if "Scenario" in line)
    assert header == "| Scenario | Runs passed | pass@1 | pass^1 | Failing criteria |"


def test_summary_markdown(snapshot: SnapshotAssertion) -> None:
    assert summary_markdown(_report(pass_rate=0.5)) == snapshot


def test_write_reports_writes_the_three_files(tmp_path: Path) -> None:
    report = _report()
    paths = write_reports(report, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["junit.xml", "report.json", "summary.md"]
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert Report.model_validate(data) == report
    assert len(data["runs"]) == 4
    assert data["runs"][3]["results"][1]["error"] == "judge reply did not parse"
