"""Eval reports: aggregates, threshold checks, and the JSON, JUnit XML and Markdown files.

A run passes when every criterion passed. Per scenario, with ``n`` runs of
which ``c`` passed, pass@k (at least one of k sampled runs passes) and pass^k
(all k pass; τ-bench) are reported for every k from 1 to n; the overall
figures are their mean over scenarios. Thresholds are checked on the share of
passing runs (``pass_rate``) and of runs passing each criterion
(``per_criterion``); the report is ``ok`` only when all of them hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from math import comb
from pathlib import Path

from pydantic import BaseModel

from agent.evals.results import CriterionResult
from agent.evals.runner import RunRecord, Suite, Thresholds

REPORT_JSON = "report.json"
JUNIT_XML = "junit.xml"
SUMMARY_MD = "summary.md"


def _check_counts(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k runs drawn from n (c passing) passes."""
    _check_counts(n, c, k)
    return 1 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Chance that all of k runs drawn from n (c passing) pass: the reliability figure."""
    _check_counts(n, c, k)
    return comb(c, k) / comb(n, k)


class RunRow(BaseModel):
    """One scenario run and its verdict per criterion."""

    scenario: str
    repeat: int
    thread_id: str
    status: str
    passed: bool
    seconds: float
    error: str | None
    results: list[CriterionResult]


class ScenarioSummary(BaseModel):
    """How reliably one scenario passes; ``pass_at_k``/``pass_hat_k`` keyed by k."""

    name: str
    runs: int
    passed: int
    pass_at_k: dict[int, float]
    pass_hat_k: dict[int, float]


class CriterionSummary(BaseModel):
    """How often one criterion held over all runs."""

    key: str
    runs: int
    passed: int
    errored: int
    pass_rate: float


class Check(BaseModel):
    """One threshold of the suite and whether it held."""

    name: str
    value: float
    threshold: float
    ok: bool


class Report(BaseModel):
    """Everything ``report.json`` holds."""

    suite: str
    skill: str
    model: str
    created_at: str
    repeats: int
    pass_rate: float
    pass_at_k: dict[int, float]
    pass_hat_k: dict[int, float]
    checks: list[Check]
    ok: bool
    scenarios: list[ScenarioSummary]
    criteria: list[CriterionSummary]
    runs: list[RunRow]


def _scenario_summary(name: str, records: Sequence[RunRecord]) -> ScenarioSummary:
    n, c = len(records), sum(r.passed for r in records)
    ks = range(1, n + 1)
    return ScenarioSummary(
        name=name,
        runs=n,
        passed=c,
        pass_at_k={k: pass_at_k(n, c, k) for k in ks},
        pass_hat_k={k: pass_hat_k(n, c, k) for k in ks},
    )


def _criterion_summaries(records: Sequence[RunRecord]) -> list[CriterionSummary]:
    keys = list(dict.fromkeys(r.key for record in records for r in record.results))
    summaries = []
    for key in keys:
        found = [r for record in records for r in record.results if r.key == key]
        passed = sum(r.passed for r in found)
        summaries.append(
            CriterionSummary(
                key=key,
                runs=len(records),
                passed=passed,
                errored=sum(r.error is not None for r in found),
                pass_rate=passed / len(records),
            )
        )
    return summaries


def _checks(
    thresholds: Thresholds, pass_rate: float, criteria: list[CriterionSummary]
) -> list[Check]:
    checks = [
        Check(
            name="pass_rate",
            value=pass_rate,
            threshold=thresholds.pass_rate,
            ok=pass_rate >= thresholds.pass_rate,
        )
    ]
    rates = {c.key: c.pass_rate for c in criteria}
    for key, threshold in thresholds.per_criterion.items():
        value = rates.get(key, 0.0)  # a criterion never scored holds nowhere
        checks.append(Check(name=key, value=value, threshold=threshold, ok=value >= threshold))
    return checks


def _mean_by_k(summaries: list[ScenarioSummary], attr: str) -> dict[int, float]:
    ks = set.intersection(*(set(getattr(s, attr)) for s in summaries)) if summaries else set()
    return {k: sum(getattr(s, attr)[k] for s in summaries) / len(summaries) for k in sorted(ks)}


def build_report(
    suite: Suite, skill: str, model: str, repeats: int, records: Sequence[RunRecord]
) -> Report:
    """Aggregate the scored runs of one eval and check the suite's thresholds."""
    if not records:
        raise ValueError("a report needs at least one run")
    by_scenario: dict[str, list[RunRecord]] = {}
    for record in records:
        by_scenario.setdefault(record.scenario, []).append(record)
    scenarios = [_scenario_summary(name, runs) for name, runs in by_scenario.items()]
    criteria = _criterion_summaries(records)
    pass_rate = sum(r.passed for r in records) / len(records)
    checks = _checks(suite.config.thresholds, pass_rate, criteria)
    return Report(
        suite=suite.name,
        skill=skill,
        model=model,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        repeats=repeats,
        pass_rate=pass_rate,
        pass_at_k=_mean_by_k(scenarios, "pass_at_k"),
        pass_hat_k=_mean_by_k(scenarios, "pass_hat_k"),
        checks=checks,
        ok=all(c.ok for c in checks),
        scenarios=scenarios,
        criteria=criteria,
        runs=[
            RunRow(
                scenario=r.scenario,
                repeat=r.repeat,
                thread_id=r.thread_id,
                status=r.status,
                passed=r.passed,
                seconds=round(r.seconds, 3),
                error=r.error,
                results=list(r.results),
            )
            for r in records
        ],
    )


# --- JUnit XML ---------------------------------------------------------------------------


def _case(report: Report, scenario: str, key: str) -> ET.Element:
    """One test case: a criterion of a scenario, over all its repeats."""
    found = [
        (run.repeat, res)
        for run in report.runs
        if run.scenario == scenario
        for res in run.results
        if res.key == key
    ]
    seconds = sum(run.seconds for run in report.runs if run.scenario == scenario)
    case = ET.Element(
        "testcase", classname=f"{report.suite}.{scenario}", name=key, time=f"{seconds:.3f}"
    )
    errors = [(n, r) for n, r in found if r.error is not None]
    failures = [(n, r) for n, r in found if r.error is None and not r.passed]
    bad, tag = (errors, "error") if errors else (failures, "failure")
    if bad:
        first = bad[0][1].error or bad[0][1].comment
        element = ET.SubElement(
            case,
            tag,
            message=f"{tag} in {len(bad)} of {len(found)} runs: {first}",
            type="CriterionErrored" if errors else "CriterionFailed",
        )
        element.text = "\n".join(f"run {n}: {r.error or r.comment}" for n, r in bad)
    return case


def junit_xml(report: Report) -> str:
    """The report as JUnit XML (Ant/Jenkins format): one test case per scenario × criterion."""
    cases = [_case(report, s.name, c.key) for s in report.scenarios for c in report.criteria]
    failures = sum(c.find("failure") is not None for c in cases)
    errors = sum(c.find("error") is not None for c in cases)
    seconds = f"{sum(run.seconds for run in report.runs):.3f}"
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors)}
    root = ET.Element("testsuites", {"name": report.suite, "time": seconds, **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": report.suite,
            "skipped": "0",
            "time": seconds,
            "timestamp": report.created_at,
            **counts,
        },
    )
    suite.extend(cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# --- Markdown ------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{value:.0%}"


def summary_markdown(report: Report) -> str:
    """A short Markdown page: verdict, per-scenario reliability, per-criterion pass rates."""
    k = report.repeats
    at = [1, k] if k > 1 else [1]  # pass@1 and pass@k, once when they coincide
    lines = [
        f"# Eval `{report.suite}`: {'PASS' if report.ok else 'FAIL'}",
        "",
        f"Skill `{report.skill}`, model `{report.model}`, {k} run(s) per scenario; "
        f"{sum(r.passed for r in report.runs)}/{len(report.runs)} runs passed "
        f"({_pct(report.pass_rate)}), pass@{k} {_pct(report.pass_at_k[k])}, "
        f"pass^{k} {_pct(report.pass_hat_k[k])}.",
        "",
        f"| Scenario | Runs passed | {' | '.join(f'pass@{i}' for i in at)} | pass^{k} "
        "| Failing criteria |",
        "|---|---|" + "---|" * len(at) + "---|---|",
    ]
    for s in report.scenarios:
        failing = sorted(
            {
                res.key
                for run in report.runs
                if run.scenario == s.name
                for res in run.results
                if not res.passed
            }
        )
        rates = " | ".join(_pct(s.pass_at_k[i]) for i in at)
        lines.append(
            f"| {s.name} | {s.passed}/{s.runs} | {rates} | "
            f"{_pct(s.pass_hat_k[k])} | {', '.join(failing) or '-'} |"
        )
    lines += ["", "| Criterion | Pass rate | Errored |", "|---|---|---|"]
    lines += [f"| {c.key} | {_pct(c.pass_rate)} | {c.errored} |" for c in report.criteria]
    lines += ["", "| Threshold | Value | Required | Holds |", "|---|---|---|---|"]
    lines += [
        f"| {c.name} | {_pct(c.value)} | {_pct(c.threshold)} | {'yes' if c.ok else 'NO'} |"
        for c in report.checks
    ]
    return "\n".join(lines) + "\n"


def write_reports(report: Report, folder: Path) -> list[Path]:
    """Write ``report.json``, ``junit.xml`` and ``summary.md`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        REPORT_JSON: report.model_dump_json(indent=2) + "\n",
        JUNIT_XML: junit_xml(report),
        SUMMARY_MD: summary_markdown(report),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files]
