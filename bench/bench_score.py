"""Cost of scoring a transcript with the incident-response default scorers.

Run: ``.venv/bin/python bench/bench_score.py [N]``. Not a test: it prints numbers.
One offline scenario run makes a real transcript; then it is scored N times
with the skill's deterministic default mapping (all 9 criteria). The baseline,
in the same process, is reading the transcript JSON into the validated
``Transcript`` model, which any scorer has to do first. Target: scoring a run
costs well under the run itself (a few ms against seconds of model time).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.engine.transcript import Transcript  # noqa: E402
from agent.evals.results import CriterionResult, ScoreContext  # noqa: E402
from agent.evals.runner import EvalSettings, load_suite, model_factory, run_scenario  # noqa: E402
from agent.evals.scoring import scorer_plan  # noqa: E402
from agent.skill.library import Library, default_skill_paths  # noqa: E402

SCENARIO = "full-outage-sev1"


async def _transcript_text() -> str:
    """One real offline run of a suite scenario, exported as transcript JSON."""
    suite = load_suite(REPO / "evals" / "incident-response")
    skillset = suite.resolve_skill(Library(default_skill_paths(())))
    scenario = next(s for s in suite.scenarios if s.name == SCENARIO)
    texts: list[str] = []

    async def keep(transcript: Transcript, ctx: ScoreContext) -> list[CriterionResult]:
        texts.append(transcript.model_dump_json())
        return []

    await run_scenario(suite, scenario, 1, EvalSettings(skillset, model_factory(None), keep))
    return texts[0]


def main(n: int) -> None:
    """Print per-transcript times and the ratio against the validation baseline."""
    text = asyncio.run(_transcript_text())
    skill = Library(default_skill_paths(())).resolve("incident-response").skill
    plan = scorer_plan(skill)
    ctx = ScoreContext(skill, {})

    started = time.perf_counter()
    for _ in range(n):
        Transcript.model_validate_json(text)
    baseline = (time.perf_counter() - started) / n

    async def score_all() -> None:
        for _ in range(n):
            await plan.score(Transcript.model_validate_json(text), ctx)

    started = time.perf_counter()
    asyncio.run(score_all())
    scored = (time.perf_counter() - started) / n

    print(f"transcript: {len(text) / 1024:.0f} KiB, {len(skill.success_criteria)} criteria")
    print(f"baseline (validate transcript JSON): {baseline * 1e3:.2f} ms")
    print(f"validate + score with default scorers: {scored * 1e3:.2f} ms")
    print(f"ratio: {scored / baseline:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
