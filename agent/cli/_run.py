"""``skillweave run|answer|resume``: drive a run until it finishes or needs a human.

A run goes on through as many resumes as answers allow in one invocation:
answers from ``--answers-file`` (matched by question id, trigger id or question
text) and, on a terminal, answers typed in. Whatever stays unanswered pauses
the run (exit 3) for ``skillweave answer`` later, from any process.

What a later ``answer``/``resume`` needs to rebuild the run the same way (the
model spec, the evidence directory, the tools directories) is kept in a small
sidecar file per thread in the data directory.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from langchain_core.tools import BaseTool

from agent.cli import _live, _render
from agent.cli._common import (
    EXIT_ERRORS,
    EXIT_OK,
    display_path,
    open_library,
    print_json,
    warn,
)
from agent.cli._scripted import ScriptCursor
from agent.dispatch import dispatch_thread
from agent.errors import ConfigError, RunNotPausedError, UnknownQuestionError, UserError
from agent.llm import build_model, parse_spec
from agent.llm.base import ChatModel
from agent.plugins import ToolContext, load_tools
from agent.runtime import api
from agent.runtime.answers import Answer, match_answers
from agent.runtime.api import RunResult
from agent.runtime.store import data_dir_path, get_thread
from agent.skill.library import SkillSet

EXIT_PAUSED = 3
EXIT_BLOCKED = 4
EXIT_CODES = {"completed": EXIT_OK, "paused": EXIT_PAUSED, "blocked": EXIT_BLOCKED}
"""Exit code by run status; ``failed`` is :data:`~agent.cli._common.EXIT_ERRORS`."""

DEMO_HINT = (
    "For the offline demo run `make demo`, or pass "
    "--model scripted:examples/incidents/<name>/script.yaml."
)


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


# --- what a thread needs to be rebuilt ---------------------------------------------------


@dataclass
class Sidecar:
    """How a thread was started: reused by ``answer`` and ``resume`` in later processes."""

    model: str | None = None
    evidence: str | None = None
    tools_dirs: list[str] = field(default_factory=list)
    script_used: dict[str, int] = field(default_factory=dict)
    """Replies of a scripted model the thread has used (see :mod:`agent.cli._scripted`)."""

    @staticmethod
    def path(thread_id: str) -> Path:
        """One small JSON file per thread in the data directory."""
        digest = hashlib.sha256(thread_id.encode("utf-8")).hexdigest()[:32]
        return data_dir_path() / "threads" / f"{digest}.json"

    @classmethod
    def load(cls, thread_id: str) -> Sidecar:
        """The recorded settings, or none when the thread was started another way."""
        try:
            data = json.loads(cls.path(thread_id).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return cls()
        return cls(
            model=data.get("model"),
            evidence=data.get("evidence"),
            tools_dirs=list(data.get("tools_dirs", [])),
            script_used=dict(data.get("script_used", {})),
        )

    def save(self, thread_id: str) -> None:
        """Record the settings before the run starts, so a killed run can be resumed."""
        target = self.path(thread_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")


def make_model(
    spec: str | None, *, quiet: bool, used: Mapping[str, int] | None = None
) -> tuple[ChatModel, ScriptCursor | None]:
    """The model; with none configured, say how to set one up and name the offline demo.

    A scripted model starts past the replies the thread already ``used``.
    """
    try:
        parsed = parse_spec(spec)
    except ConfigError as exc:
        raise ConfigError(f"{exc} {DEMO_HINT}") from None
    cursor = (
        ScriptCursor.open(Path(parsed.path), used or {}) if parsed.provider == "scripted" else None
    )
    model = cursor.model if cursor else build_model(spec)
    if cursor is not None and not quiet:
        script = display_path(parsed.path)
        warn(f"replies come from a script: {script} (no model is called)")
    return model, cursor


def _portable(spec: str | None) -> str | None:
    """A file-backed spec with an absolute path, so a later process can run from anywhere."""
    if spec is None:
        return None
    prefix, sep, path = spec.partition(":")
    if sep and prefix in ("scripted", "replay") and path:
        return f"{prefix}:{Path(path).resolve()}"
    return spec


def build_tools(skillset: SkillSet, thread_id: str, sidecar: Sidecar) -> list[BaseTool]:
    """The tools the skill may use, over the thread's evidence bundle and tools dirs."""
    evidence = Path(sidecar.evidence) if sidecar.evidence else None
    ctx = ToolContext.from_env(data_dir_path(), thread_id, evidence)
    return load_tools(skillset.skill, ctx, [Path(d) for d in sidecar.tools_dirs])


# --- driving a run ---------------------------------------------------------------------


@dataclass
class Driver:
    """One invocation's run loop over one thread: call the API, show progress, answer, repeat."""

    thread_id: str
    skillset: SkillSet | None
    db: str | None
    sidecar: Sidecar
    model: ChatModel
    cursor: ScriptCursor | None
    tools: list[BaseTool]
    json: bool
    prompt: bool
    given: dict[str, Answer] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    shown: int = 0

    async def start(self, skillset: SkillSet, inputs: Mapping[str, Any]) -> RunResult:
        """Start the thread, recording first how to rebuild it (a killed run can resume)."""
        self.sidecar.save(self.thread_id)
        with _live.feeding(self.show):
            result = await api.start(
                skillset,
                inputs,
                self.thread_id,
                model=self.model,
                db=self.db,
                tools=self.tools,
            )
        return await self.after(result)

    async def resume(self, answers: Mapping[str, Answer] | None) -> RunResult:
        """Resume the thread with ``answers`` (``None``: continue a stopped run)."""
        if answers:
            self.answered |= set(answers)
        with _live.feeding(self.show):
            result = await api.resume(
                self.thread_id,
                answers,
                model=self.model,
                skill=self.skillset,
                db=self.db,
                tools=self.tools,
            )
        return await self.after(result)

    async def after(self, result: RunResult) -> RunResult:
        """Keep the script's place, send newly approved actions, show what the call did."""
        if self.cursor is not None:
            self.sidecar.script_used = self.cursor.used()
            self.sidecar.save(self.thread_id)
        if self.skillset is not None:
            # Only a human approval recorded in the run lets an action leave it (webhook).
            ctx = ToolContext.from_env(data_dir_path(), self.thread_id)
            await dispatch_thread(self.skillset.skill, ctx, db=self.db)
        if not self.json:
            # Whatever the live feed missed (it sees only node ends) is in the checkpoint.
            values, _ = await api.read_state(self.thread_id, db=self.db)
            self.show(values.get("audit_log", []))
        return result

    def show(self, log: list[dict[str, Any]]) -> None:
        """Print the audit events of ``log`` not shown yet (progress, on stderr)."""
        if self.json:
            return
        for event in log[self.shown :]:
            _render.progress(event, sys.stderr)
        self.shown = max(self.shown, len(log))

    async def until_done(self, result: RunResult) -> RunResult:
        """Resume with every answer available until the run stops needing them."""
        while result.status == "paused":
            answers = match_answers(result.questions, self.given, self.answered)
            if not answers and self.prompt:
                pending = [q for q in result.questions if q["id"] not in self.answered]
                answers = _render.ask(pending, sys.stdin, sys.stderr)
            if not answers:
                break
            result = await self.resume(answers)
        return result


def finish(result: RunResult, args: argparse.Namespace) -> int:
    """Print the result in the requested form and map its status to the exit code."""
    if args.json:
        print_json(_render.result_json(result))
    else:
        _render.print_result(result, sys.stdout, color=sys.stdout.isatty())
    db = f" --db {args.db}" if args.db else ""
    if result.status == "paused" and not args.json:
        print(
            f"skillweave: answer with: skillweave answer {result.thread_id}{db} "
            "--answer QUESTION_ID=TEXT (or --answers-file FILE)",
            file=sys.stderr,
        )
    if result.status == "failed":
        print(
            f"skillweave: run failed: {result.error}. "
            f"Continue it from its last checkpoint with: skillweave resume {result.thread_id}{db}",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    return EXIT_CODES[result.status]


def _prompting(args: argparse.Namespace) -> bool:
    return not args.no_input and _render.interactive()


def run_run(args: argparse.Namespace) -> int:
    """``skillweave run SKILL``."""
    inputs = parse_inputs(args.input, args.input_file)
    given = load_answers(args.answers_file)
    if args.evidence is not None and not args.evidence.is_dir():
        raise UserError(f"--evidence {args.evidence}: no such directory")
    skillset = open_library(args).resolve(args.skill)
    thread_id = args.thread or uuid.uuid4().hex
    if args.thread and asyncio.run(get_thread(args.db, thread_id)):
        raise UserError(f"thread '{thread_id}' already exists; answer or resume it instead")
    sidecar = Sidecar(
        model=_portable(args.model),
        evidence=str(args.evidence.resolve()) if args.evidence else None,
        tools_dirs=[str(d.resolve()) for d in args.tools_dir],
    )
    driver = _driver(args, thread_id, skillset, sidecar, given)

    async def go() -> RunResult:
        return await driver.until_done(await driver.start(skillset, inputs))

    return finish(asyncio.run(go()), args)


async def _rebuild(args: argparse.Namespace) -> Driver:
    """A driver for a stored thread, rebuilt the way the thread was started.

    The driver gets the model, evidence and tools the thread was started with;
    ``--model`` switches model (a new script starts from its top).
    """
    info = await get_thread(args.db, args.thread)
    skillset = open_library(args).resolve(info.skill) if info else None
    values, _ = await api.read_state(args.thread, db=args.db)
    sidecar = Sidecar.load(args.thread)
    if args.model and _portable(args.model) != sidecar.model:
        sidecar.model, sidecar.script_used = _portable(args.model), {}
    given = load_answers(getattr(args, "answers_file", None))
    return _driver(
        args, args.thread, skillset, sidecar, given, shown=len(values.get("audit_log", []))
    )


def _driver(
    args: argparse.Namespace,
    thread_id: str,
    skillset: SkillSet | None,
    sidecar: Sidecar,
    given: dict[str, Answer],
    *,
    shown: int = 0,
) -> Driver:
    """The one place a thread's settings become a driver: its tools, model and prompting."""
    tools = build_tools(skillset, thread_id, sidecar) if skillset else []
    model, cursor = make_model(sidecar.model, quiet=args.json, used=sidecar.script_used)
    return Driver(
        thread_id,
        skillset,
        args.db,
        sidecar,
        model,
        cursor,
        tools,
        args.json,
        _prompting(args),
        given,
        shown=shown,
    )


def run_answer(args: argparse.Namespace) -> int:
    """``skillweave answer THREAD_ID``: resume a paused run with answers."""
    explicit: dict[str, Answer] = {}
    for pair in args.answer:
        qid, sep, text = pair.partition("=")
        if not sep or not qid.strip():
            raise UserError(f"--answer {pair!r}: use QUESTION_ID=TEXT")
        explicit[qid.strip()] = text

    async def go() -> RunResult:
        status = await api.get_status(args.thread, db=args.db)
        if status.status != "paused":
            raise RunNotPausedError(
                f"thread '{args.thread}' is not waiting for answers (status: {status.status})"
            )
        pending = {q["id"] for q in status.questions}
        if unknown := sorted(set(explicit) - pending):
            raise UnknownQuestionError(
                f"thread '{args.thread}': unknown question id(s) {', '.join(unknown)}; "
                f"pending: {', '.join(sorted(pending))}"
            )
        driver = await _rebuild(args)
        result = await driver.resume(explicit) if explicit else status
        return await driver.until_done(result)

    return finish(asyncio.run(go()), args)


def run_resume(args: argparse.Namespace) -> int:
    """``skillweave resume THREAD_ID``: continue a stopped run, or show pending questions."""

    async def go() -> RunResult:
        status = await api.get_status(args.thread, db=args.db)
        if status.status == "paused":
            return status
        if status.status != "failed":
            raise RunNotPausedError(
                f"thread '{args.thread}' has ended (status: {status.status}); nothing to resume"
            )
        driver = await _rebuild(args)
        return await driver.until_done(await driver.resume(None))

    return finish(asyncio.run(go()), args)
