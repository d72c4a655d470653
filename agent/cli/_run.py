"""``skillweave run|answer|resume``: drive a run until it finishes or needs a human.

A run goes on through as many resumes as answers allow in one invocation:
answers from ``--answers-file`` (matched by question id, trigger id or question
text) and, on a terminal, answers typed in. Whatever stays unanswered pauses
the run (exit 3) for ``skillweave answer`` later, from any process.

Everything a later ``answer``/``resume`` needs (the skill, the skills path, the
model spec, the evidence and tools folders) is in the run's recipe in the run
database, so those commands need only the thread id (and ``--db``). Progress is
the engine's event stream, rendered as it comes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent.cli import _render
from agent.cli._clock import catch_up
from agent.cli._common import (
    DEMO_HINT,
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    display_path,
    open_library,
    print_json,
    warn,
)
from agent.engine import api
from agent.engine.answers import Answer, match_answers
from agent.engine.api import RunResult
from agent.engine.events import RunEvent
from agent.errors import ConfigError, RunNotPausedError, UnknownThreadError, UserError
from agent.graph.questions import rejected_actions
from agent.llm.spec import parse_spec
from agent.plugins import ACTION_WEBHOOK_ENV

EXIT_PAUSED = 3
EXIT_BLOCKED = 4
EXIT_CODES = {"completed": EXIT_OK, "paused": EXIT_PAUSED, "blocked": EXIT_BLOCKED}
"""Exit code by run status; ``failed`` is :data:`~agent.cli._common.EXIT_ERRORS`."""


# --- inputs and answers -------------------------------------------------------------


def _mapping_file(path: Path, what: str) -> dict[str, Any]:
    """A YAML/JSON file holding one mapping; anything else is a one-line input error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{what} {path}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"{what} {path}: not valid YAML/JSON ({_first_line(exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{what} {path}: must be a mapping of keys to values")
    return {str(k): v for k, v in data.items()}


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def parse_inputs(pairs: list[str], input_file: Path | None) -> dict[str, Any]:
    """Run inputs from ``--input-file`` then ``--input KEY=VALUE`` (later wins)."""
    inputs = _mapping_file(input_file, "--input-file") if input_file else {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--input {pair!r}: use KEY=VALUE")
        inputs[key.strip()] = value
    return inputs


def load_answers(path: Path | None) -> dict[str, Answer]:
    """An answers file: keys are question ids, trigger ids or question text.

    A value is the answer text, or a mapping with ``text`` (and optionally
    ``by``) so the audit log records who decided.
    """
    if path is None:
        return {}
    answers: dict[str, Answer] = {}
    for key, value in _mapping_file(path, "--answers-file").items():
        if isinstance(value, dict) and isinstance(value.get("text"), (str, int, float)):
            answers[key] = {k: str(v) for k, v in value.items() if k in ("text", "by")}
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            answers[key] = str(value)
        else:
            raise UserError(
                f"--answers-file {path}: the answer to {key!r} must be text or {{text, by}}"
            )
    return answers


# --- driving a run ---------------------------------------------------------------------


def _spec(args: argparse.Namespace) -> str | None:
    """The ``--model`` spec, checked now so a typo is a usage error before anything starts."""
    spec: str | None = getattr(args, "model", None)
    if spec is None:
        return None
    try:
        parse_spec(spec)
    except ConfigError as exc:
        raise ConfigError(f"{exc} {DEMO_HINT}") from None
    return spec


def _scripted_note(spec: str | None) -> str | None:
    """What to say once the run starts when its replies come from a script."""
    if spec is None or not spec.startswith("scripted:"):
        return None
    path = display_path(spec.removeprefix("scripted:"))
    return f"replies come from a script: {path} (no model is called)"


@dataclass
class Driver:
    """One invocation's loop over one thread: drive, show progress, answer, repeat."""

    db: str | None
    model: str | None
    json: bool
    prompt: bool
    given: dict[str, Answer] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    progress: _render.Progress = field(default_factory=lambda: _render.Progress(sys.stderr))
    noted: bool = False
    """Whether the scripted-replies note was printed (once per invocation)."""

    async def drive(self, events: AsyncIterator[RunEvent]) -> RunResult:
        """Show each event as it comes; the last one carries the result."""
        result: RunResult | None = None
        async for event in events:
            note = None if self.json or self.noted else _scripted_note(self.model)
            if note is not None:
                warn(note)
                self.noted = True
            if event.kind == "status":
                result = RunResult(**event.data)
            elif not self.json:
                self.progress.event(event)
        assert result is not None
        return result

    async def resume(self, thread_id: str, answers: Mapping[str, Answer] | None) -> RunResult:
        """Continue the thread (with ``answers`` for a paused one)."""
        if answers:
            self.answered |= set(answers)
        return await self.drive(api.run_events(thread_id, answers, model=self.model, db=self.db))

    def until_done(self, result: RunResult) -> RunResult:
        """Resume with every answer available until the run stops needing them.

        Questions are asked between event loops, never inside one: asyncio's own Ctrl-C
        handler only cancels the loop's task, which a blocked prompt never lets run, so
        a prompt inside a loop would not stop until Enter was pressed.
        """
        while result.status == "paused":
            answers = match_answers(result.questions, self.given, self.answered)
            if not answers and self.prompt:
                pending = [q for q in result.questions if q["id"] not in self.answered]
                try:
                    answers = _render.ask(pending, sys.stdin, sys.stderr, self.progress.shown)
                except KeyboardInterrupt:
                    db = f" --db {self.db}" if self.db else ""
                    raise KeyboardInterrupt(
                        f"run {result.thread_id} stays paused; continue it with: "
                        f"skillweave answer {result.thread_id}{db}"
                    ) from None
            if not answers:
                break
            result = asyncio.run(self.resume(result.thread_id, answers))
        return result


def finish(result: RunResult, args: argparse.Namespace, shown: set[str] | None = None) -> int:
    """Print the result in the requested form and map its status to the exit code.

    ``shown``: questions the progress lines printed in full; on one terminal they
    are not printed again.
    """
    if args.json:
        print_json(_render.result_json(result))
    else:
        same_terminal = sys.stdout.isatty() and sys.stderr.isatty()
        _render.print_result(
            result,
            sys.stdout,
            color=sys.stdout.isatty(),
            shown=(shown or set()) if same_terminal else set(),
            actions=actions_of(result.thread_id, args.db),
        )
    db = f" --db {args.db}" if args.db else ""
    if (gap := _render.script_gap(result)) is not None:
        print(
            f"skillweave: run {result.thread_id} stopped: {gap}. Then continue it with: "
            f"skillweave resume {result.thread_id}{db}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    engine = f" --engine {args.engine}" if getattr(args, "engine", None) else ""
    if result.status == "paused" and not result.questions and result.error:
        print(f"skillweave: {result.error}", file=sys.stderr)  # paused in a form not read here
        return EXIT_USAGE
    if result.status == "paused" and result.questions and not args.json:
        print(
            f"skillweave: answer with: skillweave answer {result.thread_id}{db}{engine} "
            f"--answer {_render.label(result.questions[0])}=TEXT "
            "(or --answers-file FILE)",
            file=sys.stderr,
        )
    if result.status == "failed":
        print(
            f"skillweave: run failed: {result.error}. "
            f"Continue it from its last checkpoint with: skillweave resume {result.thread_id}{db}",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    return EXIT_CODES.get(result.status, EXIT_ERRORS)


def actions_of(thread_id: str, db: str | None) -> list[str]:
    """What became of each action the run's steps proposed, as lines for the terminal.

    No lines when ``db`` does not hold the run: a run on Temporal workers lives in theirs.
    """
    try:
        values, _ = asyncio.run(api.read_state(thread_id, db=db))
    except UnknownThreadError:
        return []
    return _render.describe_actions(
        values.get("actions", []),
        values.get("approvals", {}),
        webhook=bool(os.environ.get(ACTION_WEBHOOK_ENV)),
        rejected=rejected_actions(values),
    )


def _prompting(args: argparse.Namespace) -> bool:
    return not args.no_input and _render.interactive()


def _driver(args: argparse.Namespace) -> Driver:
    given = load_answers(getattr(args, "answers_file", None))
    return Driver(args.db, _spec(args), args.json, _prompting(args), given)


def run_run(args: argparse.Namespace) -> int:
    """``skillweave run SKILL``."""
    inputs = parse_inputs(args.input, args.input_file)
    if args.evidence is not None and not args.evidence.is_dir():
        raise UserError(f"--evidence {args.evidence}: no such directory")
    skillset = open_library(args).resolve(args.skill)
    if args.engine:
        from agent.cli import _engine

        return _engine.run_run(args, skillset, inputs)
    if args.thread and asyncio.run(_exists(args.thread, args.db)):
        raise UserError(f"thread '{args.thread}' already exists; answer or resume it instead")
    driver = _driver(args)
    if driver.model is None:
        _spec_from_env_or_hint()

    async def go() -> RunResult:
        events = api.run_events(
            args.thread or uuid.uuid4().hex,
            skill=skillset,
            inputs=inputs,
            model=driver.model,
            db=args.db,
            evidence=args.evidence,
            tools_dirs=args.tools_dir,
            skill_paths=args.skills_dir or [],
        )
        return await driver.drive(events)

    return finish(driver.until_done(asyncio.run(go())), args, driver.progress.shown)


async def _exists(thread_id: str, db: str | None) -> bool:
    try:
        await api.get_status(thread_id, db=db)
    except UnknownThreadError:
        return False
    return True


def _spec_from_env_or_hint() -> None:
    """Without ``--model``, the environment must name one; say how otherwise."""
    try:
        parse_spec(None)
    except ConfigError as exc:
        raise ConfigError(f"{exc} {DEMO_HINT}") from None


def run_answer(args: argparse.Namespace) -> int:
    """``skillweave answer THREAD_ID``: resume a paused run with answers."""
    explicit: dict[str, Answer] = {}
    for pair in args.answer:
        qid, sep, text = pair.partition("=")
        if not sep or not qid.strip():
            raise UserError(f"--answer {pair!r}: use QUESTION_ID=TEXT")
        explicit[qid.strip()] = text
    if args.engine:
        from agent.cli import _engine

        return _engine.run_answer(args, explicit)
    driver = _driver(args)

    async def go() -> RunResult:
        await catch_up(args.thread, args.db)
        status = await api.get_status(args.thread, db=args.db)
        if status.status != "paused":
            raise RunNotPausedError(
                f"thread '{args.thread}' is not waiting for answers (status: {status.status})"
            )
        return await driver.resume(args.thread, explicit) if explicit else status

    return finish(driver.until_done(asyncio.run(go())), args, driver.progress.shown)


def run_resume(args: argparse.Namespace) -> int:
    """``skillweave resume THREAD_ID``: continue a stopped run, or show pending questions."""
    driver = _driver(args)

    async def go() -> RunResult:
        await catch_up(args.thread, args.db)
        status = await api.get_status(args.thread, db=args.db)
        if status.status == "paused":
            return status
        if status.status != "failed":
            raise RunNotPausedError(
                f"thread '{args.thread}' has ended (status: {status.status}); nothing to resume"
            )
        return await driver.resume(args.thread, None)

    return finish(driver.until_done(asyncio.run(go())), args, driver.progress.shown)
