"""The ``skillweave`` command line: argument parsing, rendering and exit codes only.

Every command's arguments are declared in :mod:`agent.cli._parsers`, which
imports nothing heavy; a command's handler module (``_run.py``, ``_eval.py``, ...)
is imported only when that command runs, so ``--help`` and the light commands
start fast. Adding a command means adding it to ``_parsers.COMMANDS``.
Exit codes: 0 ok, 1 validation errors or an internal fault, 2 a usage or input
mistake (every :class:`~agent.errors.UserError`, printed as one line).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from agent.cli._common import EXIT_ERRORS, EXIT_USAGE, Handler
from agent.cli._parsers import COMMANDS

DISTRIBUTION = "skillweave"


def version() -> str:
    """The installed distribution's version (package metadata, not a copy in the code)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a bare source tree, never installed
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``; looks the version up only when asked, to keep start-up cheap."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(f"skillweave {version()}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with ``command`` only the commands declared alongside it.

    ``main`` passes the command a command line names, so running one command
    does not pay for declaring all the others; tests and docs inspect the full tree.
    """
    parser = argparse.ArgumentParser(
        prog="skillweave", description="Turn SKILL.md skills into durable LangGraph agents."
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = COMMANDS.get(command) if command is not None else None
    for add in [chosen] if chosen is not None else dict.fromkeys(COMMANDS.values()):
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit code instead of raising SystemExit."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # No top-level option takes a value, so a first word not starting with - is the command.
    command = argv[0] if argv and not argv[0].startswith("-") else None
    try:
        args = build_parser(command).parse_args(argv)
    except SystemExit as exc:  # argparse has already printed usage
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    from agent.errors import UserError  # after parsing: --help never pays for pydantic

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
    except KeyboardInterrupt as exc:
        hint = f"; {exc.args[0]}" if exc.args else ""
        print(f"skillweave: interrupted{hint}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("SKILLWEAVE_DEBUG") == "1":
            import traceback  # only on this path: it costs every command's start-up

            traceback.print_exc()
        hint = (
            ""
            if os.environ.get("SKILLWEAVE_DEBUG") == "1"
            else " (SKILLWEAVE_DEBUG=1 shows the traceback)"
        )
        print(f"skillweave: internal error: {type(exc).__name__}: {exc}{hint}", file=sys.stderr)
        return EXIT_ERRORS


def console() -> None:
    """The ``skillweave`` console script: :func:`main`, then exit with its code.

    A command that used Temporal (``worker``, ``--engine temporal://``) exits without
    interpreter teardown: the SDK's Rust threads can abort a finalizing interpreter
    (temporalio/sdk-python#300, seen here once under load), turning the exit code into 134.
    """
    code = main()
    if "temporalio" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


EXIT_INTERRUPTED = 130
"""Ctrl-C, as shells report it (128 + SIGINT)."""


def _one_line(message: str) -> str:
    return " ".join(message.split())
