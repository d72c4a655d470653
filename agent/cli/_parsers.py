"""Every command's arguments, declared without importing the code the commands run.

``skillweave --help`` and the light commands must not pay for LangGraph, the
openai SDK or the evals package, so each parser names its handler as
``module:function`` and the module is imported only when that command runs
(:class:`LazyHandler`). The handler functions themselves stay in their command
modules (``_run.py``, ``_threads.py``, ...); only the argument definitions live here.
This module imports nothing beyond the standard library and ``_common``.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

from agent.cli._common import skills_options

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class LazyHandler:
    """A command handler imported on first call, so building the parser stays cheap."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self, args: argparse.Namespace) -> int:
        handler: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(self.module), self.name
        )
        return handler(args)

    def __repr__(self) -> str:
        return f"LazyHandler({self.module}:{self.name})"


def _handler(name: str) -> LazyHandler:
    """``"_run:run_run"`` → the lazily imported ``agent.cli._run.run_run``."""
    module, _, function = name.partition(":")
    return LazyHandler(f"agent.cli.{module}", function)


def store_options() -> argparse.ArgumentParser:
    """``--db`` for every command that reads or writes runs."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--db",
        metavar="URL",
        help="run database: sqlite:///PATH or postgresql://... "
        "(default: SQLite in $SKILLWEAVE_HOME)",
    )
    return parent


def served_options() -> argparse.ArgumentParser:
    """``--evidence-root`` for the servers, which let remote callers name folders."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--evidence-root",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="folders callers may name as run evidence (default: the working directory)",
    )
    return parent


def drive_options(*, answers_file: bool = True) -> argparse.ArgumentParser:
    """``--model``, ``--json``, ``--no-input`` (and ``--answers-file``) for run commands."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--model", metavar="SPEC", help="model spec (default: SKILLWEAVE_MODEL)")
    parent.add_argument("--json", action="store_true", help="print the result as JSON")
    parent.add_argument(
        "--no-input", action="store_true", help="never ask in the terminal; stop at questions"
    )
    if answers_file:
        parent.add_argument(
            "--answers-file",
            type=Path,
            metavar="FILE",
            help="YAML/JSON mapping of question id, trigger id or question text to answers",
        )
    return parent


def engine_options(*, task_queue: bool = True) -> argparse.ArgumentParser:
    """``--engine temporal://HOST:PORT`` (and ``--task-queue``): hand runs to Temporal workers."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--engine",
        metavar="URL",
        help="temporal://HOST:PORT: run on `skillweave worker` processes (default: in this "
        "process)",
    )
    if task_queue:
        parent.add_argument(
            "--task-queue",
            default="skillweave",
            metavar="Q",
            help="with --engine: the workers' task queue (default: skillweave)",
        )
    return parent


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def add_validate(subparsers: Subparsers) -> None:
    """``validate PATH...``."""
    parser = subparsers.add_parser(
        "validate",
        parents=[skills_options()],
        help="check skill files (exit 1 on errors)",
        description="Parse, lint and resolve skill files or directories (searched recursively).",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print a JSON list of reports")
    parser.set_defaults(handler=_handler("_validate:run"))


def add_skills(subparsers: Subparsers) -> None:
    """``skills list|show``."""
    group = subparsers.add_parser("skills", help="list or inspect available skills")
    commands = group.add_subparsers(dest="skills_command", metavar="COMMAND", required=True)

    list_parser = commands.add_parser(
        "list", parents=[skills_options()], help="list skills on the search path"
    )
    list_parser.add_argument("--json", action="store_true", help="print JSON")
    list_parser.set_defaults(handler=_handler("_skills:run_list"))

    show = commands.add_parser(
        "show", parents=[skills_options()], help="show one parsed skill (name or path)"
    )
    show.add_argument("skill", metavar="NAME|PATH")
    show.add_argument("--json", action="store_true", help="print the full parsed model as JSON")
    show.set_defaults(handler=_handler("_skills:run_show"))


def add_run(subparsers: Subparsers) -> None:
    """``run``, ``answer`` and ``resume`` (handlers in ``_run.py``)."""
    parents = [skills_options(), store_options()]
    run = subparsers.add_parser(
        "run",
        parents=[*parents, drive_options(), engine_options()],
        help="run a skill (name or path)",
    )
    run.add_argument("skill", metavar="SKILL")
    run.add_argument(
        "--input", action="append", default=[], metavar="KEY=VALUE", help="a run input"
    )
    run.add_argument("--input-file", type=Path, metavar="FILE", help="YAML/JSON mapping of inputs")
    run.add_argument("--evidence", type=Path, metavar="DIR", help="evidence bundle for the tools")
    run.add_argument(
        "--tools-dir", action="append", type=Path, default=[], metavar="DIR", help="tool plugins"
    )
    run.add_argument("--thread", metavar="ID", help="thread id for the new run")
    run.set_defaults(handler=_handler("_run:run_run"))

    answer = subparsers.add_parser(
        "answer",
        parents=[*parents, drive_options(), engine_options(task_queue=False)],
        help="answer a paused run's questions",
    )
    answer.add_argument("thread", metavar="THREAD_ID")
    answer.add_argument(
        "--answer", action="append", default=[], metavar="QID=TEXT", help="answer one question"
    )
    answer.set_defaults(handler=_handler("_run:run_answer"))

    resume = subparsers.add_parser(
        "resume",
        parents=[*parents, drive_options(answers_file=False)],
        help="continue a run that stopped without finishing",
    )
    resume.add_argument("thread", metavar="THREAD_ID")
    resume.set_defaults(handler=_handler("_run:run_resume"))


def add_threads(subparsers: Subparsers) -> None:
    """The read-only thread commands (handlers in ``_threads.py``)."""
    status = subparsers.add_parser("status", parents=[store_options()], help="where one run stands")
    status.add_argument("thread", metavar="THREAD_ID")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_handler("_threads:run_status"))

    threads = subparsers.add_parser(
        "threads", parents=[store_options()], help="list runs, most recent first"
    )
    threads.add_argument("--json", action="store_true", help="print JSON")
    threads.set_defaults(handler=_handler("_threads:run_threads"))

    transcript = subparsers.add_parser(
        "transcript", parents=[store_options()], help="write a run's transcript JSON"
    )
    transcript.add_argument("thread", metavar="THREAD_ID")
    transcript.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE")
    transcript.add_argument(
        "--include-scratchpad", action="store_true", help="include the private scratchpad"
    )
    transcript.add_argument(
        "--langgraph",
        metavar="URL",
        help="read the thread from a LangGraph Server at URL (langgraph dev) instead of --db",
    )
    transcript.set_defaults(handler=_handler("_threads:run_transcript"))

    audit = subparsers.add_parser("audit", help="check a run's audit log")
    commands = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    verify = commands.add_parser(
        "verify", parents=[store_options()], help="verify the audit log's hash chain"
    )
    verify.add_argument("thread", metavar="THREAD_ID")
    verify.set_defaults(handler=_handler("_threads:run_verify"))


def add_graph(subparsers: Subparsers) -> None:
    """``graph SKILL``."""
    parser = subparsers.add_parser(
        "graph", parents=[skills_options()], help="draw a skill's compiled graph"
    )
    parser.add_argument("skill", metavar="SKILL")
    parser.add_argument(
        "--format", choices=("mermaid", "ascii"), default="mermaid", help="drawing format"
    )
    parser.set_defaults(handler=_handler("_graph:run_graph"))


def add_langgraph_config(subparsers: Subparsers) -> None:
    """``langgraph-config DIR``: a langgraph.json serving a folder of skills."""
    parser = subparsers.add_parser(
        "langgraph-config",
        help="write a langgraph.json that serves a folder of skills on LangGraph Server",
        description="Write a langgraph.json with one graph per skill in DIR, for "
        "`langgraph dev` (langgraph-cli[inmem]) or the Agent Server.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="a folder of skills")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="folder for langgraph.json and skillweave_graphs.py (default: the current one)",
    )
    parser.set_defaults(handler=_handler("_langgraph:run_langgraph_config"))


def add_eval(subparsers: Subparsers) -> None:
    """``eval SUITE`` (handler in ``_eval.py``)."""
    parser = subparsers.add_parser(
        "eval", parents=[skills_options()], help="run an eval suite and write its reports"
    )
    parser.add_argument("suite", type=Path, metavar="SUITE", help="suite directory")
    parser.add_argument(
        "--model", metavar="SPEC", help="model under test (default: each scenario's script.yaml)"
    )
    parser.add_argument(
        "--judge-model", metavar="SPEC", help="model for LLM-judge scorers (default: the suite's)"
    )
    parser.add_argument(
        "--repeats", type=positive, metavar="K", help="runs per scenario (default: the suite's)"
    )
    parser.add_argument(
        "--concurrency", type=positive, default=4, metavar="N", help="runs at once (default: 4)"
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        metavar="DIR",
        help="where the reports go (default: ./eval-reports/<suite>-<timestamp>/)",
    )
    parser.add_argument("--json", action="store_true", help="print report.json on stdout")
    parser.set_defaults(handler=_handler("_eval:run_eval"))


def add_score(subparsers: Subparsers) -> None:
    """``score TRANSCRIPT... --skill SKILL`` (handler in ``_score.py``)."""
    parser = subparsers.add_parser(
        "score",
        parents=[skills_options()],
        help="score transcripts against a skill's success criteria",
    )
    parser.add_argument(
        "transcripts", nargs="+", type=Path, metavar="TRANSCRIPT", help="a transcript file, or -"
    )
    parser.add_argument("--skill", required=True, help="skill name or SKILL.md path")
    parser.add_argument(
        "--suite", type=Path, metavar="SUITE", help="use this suite's scorers over the skill's"
    )
    parser.add_argument(
        "--scenario",
        metavar="NAME",
        help="with --suite: take ground truth (expected values) from this scenario",
    )
    parser.add_argument(
        "--judge-model", metavar="SPEC", help="model for LLM-judge scorers (default: the suite's)"
    )
    parser.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    parser.set_defaults(handler=_handler("_score:run_score"))


def add_demo(subparsers: Subparsers) -> None:
    """``demo [--example NAME]``."""
    parser = subparsers.add_parser(
        "demo",
        help="run incident-response on a shipped example, offline",
        description="Run the incident-response skill on an example incident shipped with "
        "skillweave, with its scripted model and answers: no key, no typing.",
    )
    parser.add_argument(
        "--example",
        metavar="NAME",
        default="checkout-deploy-spike",
        help="example incident (default: checkout-deploy-spike)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--db", metavar="URL", help="run database (default: SQLite in $SKILLWEAVE_HOME)"
    )
    parser.set_defaults(handler=_handler("_demo:run_demo"))


def add_info(subparsers: Subparsers) -> None:
    """``info``."""
    parser = subparsers.add_parser(
        "info",
        parents=[skills_options(), store_options()],
        help="show the data directory, database, skills path, plugins and model in use",
    )
    parser.add_argument(
        "--tools-dir", action="append", type=Path, default=[], metavar="DIR", help="tool plugins"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=_handler("_info:run_info"))


def add_mcp(subparsers: Subparsers) -> None:
    """``mcp [--http HOST:PORT]``."""
    mcp = subparsers.add_parser(
        "mcp",
        parents=[skills_options(), store_options(), served_options()],
        help="serve skills and runs to AI assistants (MCP, stdio or HTTP)",
        description="Serve skills and runs over the Model Context Protocol: stdio by default, "
        "streamable HTTP with --http HOST:PORT (bearer tokens from --tokens).",
    )
    mcp.add_argument(
        "--http", metavar="HOST:PORT", help="serve streamable HTTP at http://HOST:PORT/mcp"
    )
    mcp.add_argument("--model", metavar="SPEC", help="model spec (default: SKILLWEAVE_MODEL)")
    mcp.add_argument(
        "--tokens",
        type=Path,
        metavar="FILE",
        help="bearer tokens for HTTP (default: SKILLWEAVE_TOKENS_FILE); "
        "required to listen beyond loopback",
    )
    mcp.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another Host header value to accept over HTTP (e.g. a proxy's name)",
    )
    mcp.set_defaults(handler=_handler("_mcp:run_mcp"))


def add_serve(subparsers: Subparsers) -> None:
    """``serve [--host] [--port]``: the HTTP API and the web inbox."""
    serve = subparsers.add_parser(
        "serve",
        parents=[served_options(), engine_options()],
        help="serve the HTTP API and the web inbox",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    serve.add_argument(
        "--db",
        metavar="URL",
        help="run database: sqlite:///PATH or postgresql://... (default: SQLite in "
        "$SKILLWEAVE_HOME)",
    )
    serve.add_argument(
        "--tokens",
        type=Path,
        metavar="FILE",
        help="bearer tokens file (default: SKILLWEAVE_TOKENS_FILE); required beyond loopback",
    )
    serve.add_argument("--model", metavar="SPEC", help="model for new runs (SKILLWEAVE_MODEL)")
    serve.add_argument(
        "--allow-model",
        action="append",
        default=[],
        metavar="SPEC",
        help="another model spec callers may pick for a run (repeatable; default: none)",
    )
    serve.add_argument(
        "--skills-dir",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="search DIR for skills before SKILLWEAVE_SKILLS_PATH and ./skills (repeatable)",
    )
    serve.set_defaults(handler=_handler("_serve:run_serve"))


def add_worker(subparsers: Subparsers) -> None:
    """``worker --temporal HOST:PORT``: run skill runs handed to Temporal."""
    worker = subparsers.add_parser(
        "worker",
        parents=[store_options()],
        help="run skill runs as Temporal workflows (needs skillweave[temporal])",
        description="Poll a Temporal task queue and run the skill runs started with "
        "--engine temporal://HOST:PORT. Any number of workers may share a queue and a run "
        "database; an advance a dead worker left is retried on another.",
    )
    worker.add_argument(
        "--temporal", required=True, metavar="HOST:PORT", help="the Temporal server's address"
    )
    worker.add_argument(
        "--task-queue", default="skillweave", metavar="Q", help="task queue (default: skillweave)"
    )
    worker.set_defaults(handler=_handler("_worker:run_worker"))


COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "validate": add_validate,
    "skills": add_skills,
    "run": add_run,
    "answer": add_run,
    "resume": add_run,
    "status": add_threads,
    "threads": add_threads,
    "transcript": add_threads,
    "audit": add_threads,
    "graph": add_graph,
    "langgraph-config": add_langgraph_config,
    "eval": add_eval,
    "score": add_score,
    "demo": add_demo,
    "info": add_info,
    "mcp": add_mcp,
    "serve": add_serve,
    "worker": add_worker,
}
"""Each top-level command and the function that declares it, in ``--help`` order.

Adding a command means adding its function here. One function may declare
several commands; ``build_parser`` can call just the one a command line needs.
"""
