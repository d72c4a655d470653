"""The ``skillweave`` command line: argument parsing, rendering and exit codes only.

Each command group lives in its own ``_name.py`` module exposing
``register(subparsers)``; adding a command means adding a module to ``_COMMANDS``.
Exit codes: 0 ok, 1 validation errors or an internal fault, 2 a usage or input
mistake (every :class:`~agent.errors.UserError`, printed as one line).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from agent.cli import _eval, _graph, _run, _score, _serve, _skills, _threads, _validate
from agent.cli._common import EXIT_ERRORS, EXIT_USAGE, Handler
from agent.errors import UserError

_COMMANDS = (_validate, _skills, _run, _threads, _graph, _eval, _score, _serve)


def build_parser() -> argparse.ArgumentParser:
    """The full parser; exposed so tests and docs can inspect the command tree."""
    parser = argparse.ArgumentParser(
        prog="skillweave", description="Turn SKILL.md skills into durable LangGraph agents."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit code instead of raising SystemExit."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has already printed usage
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    try:
        return handler(args)
    except UserError as exc:
        print(f"skillweave: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # Output piped into `head` & co.: silence the flush at interpreter exit too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERRORS
    except KeyboardInterrupt:
        print("skillweave: interrupted", file=sys.stderr)
        return EXIT_ERRORS
    except Exception as exc:
        if os.environ.get("SKILLWEAVE_DEBUG") == "1":
            traceback.print_exc()
        hint = (
            ""
            if os.environ.get("SKILLWEAVE_DEBUG") == "1"
            else " (SKILLWEAVE_DEBUG=1 shows the traceback)"
        )
        print(f"skillweave: internal error: {type(exc).__name__}: {exc}{hint}", file=sys.stderr)
        return EXIT_ERRORS


def _one_line(message: str) -> str:
    return " ".join(message.split())
