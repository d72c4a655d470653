"""``run`` and ``answer`` with ``--engine temporal://HOST:PORT``: the runs go to the workers.

The front door starts the run's workflow (or sends the answer update) and waits
for the advance to end, then renders the result and answers from files or the
terminal exactly as for an embedded run. Progress events stay on the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.cli._run import Driver, _prompting, _spec, finish, load_answers
from agent.cli._worker import temporal_required
from agent.engine.answers import Answer
from agent.engine.api import RunResult
from agent.errors import RunNotPausedError
from agent.skill.library import SkillSet

with temporal_required():
    from agent.temporal.client import answer_run, connect, run_status, start_run
    from agent.temporal.messages import StartRequest, parse_engine


@dataclass
class TemporalDriver(Driver):
    """A :class:`Driver` whose advances happen on Temporal workers."""

    address: str = ""

    async def resume(self, thread_id: str, answers: Mapping[str, Answer] | None) -> RunResult:
        """Send the answers as the run's ``answer`` update; without answers, its status."""
        client = await connect(self.address)
        if not answers:
            return await run_status(client, thread_id)
        self.answered |= set(answers)
        return await answer_run(client, thread_id, answers)


def _driver(args: argparse.Namespace) -> TemporalDriver:
    given = load_answers(getattr(args, "answers_file", None))
    address = parse_engine(args.engine)
    return TemporalDriver(args.db, _spec(args), args.json, _prompting(args), given, address=address)


def _absolute(path: Path | None) -> str | None:
    return str(path.resolve()) if path is not None else None


def run_run(args: argparse.Namespace, skillset: SkillSet, inputs: dict[str, Any]) -> int:
    """``skillweave run SKILL --engine temporal://…``: start the run's workflow."""
    driver = _driver(args)
    request = StartRequest(
        skill=str(Path(skillset.skill.path).resolve()) if skillset.skill.path else args.skill,
        inputs=inputs,
        model=driver.model,
        evidence=_absolute(args.evidence),
        tools_dirs=[str(d.resolve()) for d in args.tools_dir],
        skill_paths=[str(d.resolve()) for d in args.skills_dir or []],
    )

    async def go() -> RunResult:
        client = await connect(driver.address)
        thread_id = args.thread or uuid.uuid4().hex
        return await start_run(client, thread_id, request, args.task_queue)

    return finish(driver.until_done(asyncio.run(go())), args)


def run_answer(args: argparse.Namespace, explicit: dict[str, Answer]) -> int:
    """``skillweave answer THREAD_ID --engine temporal://…``: the answer as an update."""
    driver = _driver(args)

    async def go() -> RunResult:
        status = await driver.resume(args.thread, None)
        if status.status != "paused":
            raise RunNotPausedError(
                f"thread '{args.thread}' is not waiting for answers (status: {status.status})"
            )
        return await driver.resume(args.thread, explicit) if explicit else status

    return finish(driver.until_done(asyncio.run(go())), args)
