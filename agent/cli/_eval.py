"""``skillweave eval SUITE``: run a suite's scenarios, score them, write the reports.

Exit codes: 0 when the suite's thresholds hold, 1 when they do not, 2 on a
usage or suite-file mistake. One line per finished run goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from agent.cli._common import EXIT_ERRORS, EXIT_OK, display_path, open_library
from agent.errors import UserError
from agent.evals.report import build_report, write_reports
from agent.evals.runner import (
    EvalSettings,
    RunRecord,
    Suite,
    load_suite,
    model_factory,
    run_suite,
)
from agent.llm import build_model


def _progress(total: int) -> Callable[[RunRecord], None]:
    done = 0

    def show(record: RunRecord) -> None:
        nonlocal done
        done += 1
        passed = sum(r.passed for r in record.results)
        failed = [r.key for r in record.results if not r.passed and r.error is None]
        errored = sum(r.error is not None for r in record.results)
        if record.error:
            verdict = f"ERROR {record.error}"
        else:
            verdict = f"{'PASS' if record.passed else 'FAIL'} {passed}/{len(record.results)}"
            verdict += f", failed: {', '.join(failed)}" if failed else ""
            verdict += f", errored: {errored}" if errored else ""
        print(
            f"[{done}/{total}] {record.scenario} #{record.repeat} "
            f"({record.status}, {record.seconds:.1f}s): {verdict}",
            file=sys.stderr,
            flush=True,
        )

    return show


def run_eval(args: argparse.Namespace) -> int:
    """``skillweave eval SUITE``."""
    if not args.suite.is_dir():
        raise UserError(f"{args.suite}: no such suite directory")
    suite = load_suite(args.suite)
    skillset = suite.resolve_skill(open_library(args))
    judge_spec = args.judge_model or suite.config.judge_model
    settings = EvalSettings(
        skillset=skillset,
        make_model=model_factory(args.model),
        score=suite.scorer(skillset.skill).score,
        judge=build_model(judge_spec) if judge_spec else None,
    )
    repeats = args.repeats or suite.config.repeats
    if args.model is None:
        for scenario in suite.scenarios:
            if scenario.script is None:
                raise UserError(f"{scenario.folder}: no script.yaml; pass --model to run it")
    records = asyncio.run(
        _run(suite, settings, repeats, args.concurrency, len(suite.scenarios) * repeats)
    )
    report = build_report(suite, skillset.skill.name, args.model or "scripted", repeats, records)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = args.report_dir or Path("eval-reports") / f"{suite.name}-{stamp}"
    write_reports(report, folder)
    if args.json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        verdict = "thresholds hold" if report.ok else "thresholds NOT met"
        failed = [f"{c.name} {c.value:.0%} < {c.threshold:.0%}" for c in report.checks if not c.ok]
        print(
            f"{suite.name}: {sum(r.passed for r in records)}/{len(records)} runs passed, "
            f"{verdict}{': ' + '; '.join(failed) if failed else ''}"
        )
        print(f"reports: {display_path(folder)}")
    return EXIT_OK if report.ok else EXIT_ERRORS


async def _run(
    suite: Suite, settings: EvalSettings, repeats: int, concurrency: int, total: int
) -> list[RunRecord]:
    try:
        return await run_suite(
            suite, settings, repeats=repeats, concurrency=concurrency, on_done=_progress(total)
        )
    finally:
        if settings.judge is not None:
            await settings.judge.aclose()
