"""``skillweave score TRANSCRIPT... --skill SKILL``: score transcripts made elsewhere.

The transcripts are our published transcript schema (``skillweave transcript``
or ``agent.engine.export_transcript``). Scorers are the skill's defaults,
with ``--suite``'s laid over them. Exit codes: 0 when every criterion of every
transcript passed, 1 when one failed or could not be judged, 2 on a usage
mistake (unreadable transcript, unknown skill, transcript of another skill).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.cli._common import (
    EXIT_ERRORS,
    EXIT_OK,
    display_path,
    open_library,
    print_json,
    printable,
)
from agent.engine.transcript import Transcript
from agent.errors import UserError, dotted, first_problem
from agent.evals.results import CriterionResult, ScoreContext
from agent.evals.runner import load_suite
from agent.evals.scoring import ScorerPlan, scorer_plan
from agent.llm import build_model
from agent.llm.base import ChatModel
from agent.skill.model import Skill


def read_transcript(path: Path) -> Transcript:
    """A transcript file (``-``: standard input), or one error naming it and the first bad key."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({exc})") from None
    try:
        return Transcript.model_validate_json(text)
    except ValidationError as exc:
        loc, message = first_problem(exc)
        key = dotted(loc, "(top level)")
        raise UserError(f"{path}: not a skillweave transcript: {key}: {message}") from None


@dataclass(frozen=True)
class _Setup:
    plan: ScorerPlan
    judge_spec: str | None
    expected: Mapping[str, Any]


def _setup(args: argparse.Namespace, skill: Skill) -> _Setup:
    """Scorers, judge model spec and ground truth from the command line and the suite."""
    if args.suite is None:
        if args.scenario is not None:
            raise UserError("--scenario needs --suite")
        return _Setup(scorer_plan(skill), args.judge_model, {})
    if not args.suite.is_dir():
        raise UserError(f"{args.suite}: no such suite directory")
    suite = load_suite(args.suite)
    expected: Mapping[str, Any] = {}
    if args.scenario is not None:
        named = {s.name: s for s in suite.scenarios}
        if args.scenario not in named:
            raise UserError(
                f"{args.suite}: no scenario {args.scenario!r}; it has {', '.join(sorted(named))}"
            )
        expected = named[args.scenario].spec.expected
    judge = args.judge_model or suite.config.judge_model
    return _Setup(suite.scorer(skill), judge, expected)


async def _score_all(
    setup: _Setup, transcripts: list[Transcript], judge: ChatModel | None
) -> list[list[CriterionResult]]:
    plan = setup.plan
    ctx = ScoreContext(plan.skill, setup.expected, judge)
    try:
        return [await plan.score(t, ctx) for t in transcripts]
    finally:
        if judge is not None:
            await judge.aclose()


def _row(result: CriterionResult) -> dict[str, Any]:
    return {
        "key": result.key,
        "passed": result.passed,
        "score": round(result.score, 4),
        "comment": result.comment,
        "error": result.error,
    }


def run_score(args: argparse.Namespace) -> int:
    """``skillweave score``."""
    skill = open_library(args).resolve(args.skill).skill
    transcripts = [read_transcript(p) for p in args.transcripts]
    for path, transcript in zip(args.transcripts, transcripts, strict=True):
        if transcript.skill.name != skill.name:
            raise UserError(f"{path}: a run of skill {transcript.skill.name!r}, not {skill.name!r}")
    setup = _setup(args, skill)
    judge = build_model(setup.judge_spec) if setup.judge_spec else None
    verdicts = asyncio.run(_score_all(setup, transcripts, judge))
    if args.json:
        print_json(
            [
                {
                    "transcript": display_path(path),
                    "thread_id": t.thread_id,
                    "passed": all(r.passed for r in results),
                    "criteria": [_row(r) for r in results],
                }
                for path, t, results in zip(args.transcripts, transcripts, verdicts, strict=True)
            ]
        )
    else:
        for path, results in zip(args.transcripts, verdicts, strict=True):
            _print_text(path, results)
    ok = all(r.passed for results in verdicts for r in results)
    return EXIT_OK if ok else EXIT_ERRORS


def _print_text(path: Path, results: list[CriterionResult]) -> None:
    passed = sum(r.passed for r in results)
    print(f"{display_path(path)}: {passed}/{len(results)} criteria passed")
    for r in results:
        mark = "ERROR" if r.error else ("PASS " if r.passed else "FAIL ")
        print(f"  {mark} {r.key}")
        if not r.passed:
            print(f"        {printable(r.error or r.comment)}")
