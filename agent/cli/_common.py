"""Helpers every command shares: exit codes, the skills-path option, output.

Imported while the parser is built, so it stays light: the skill library (and
pydantic, through the errors module) is imported only when a command opens it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.skill.library import Library

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


DEMO_HINT = (
    "For the offline demo run `skillweave demo` (or `make demo` in a checkout), or pass "
    "--model scripted:examples/incidents/<name>/script.yaml."
)
"""Said wherever a command needs a model and has none."""


def skills_options() -> argparse.ArgumentParser:
    """A parent parser adding ``--skills-dir`` to every command that loads skills."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--skills-dir",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="search DIR for skills before SKILLWEAVE_SKILLS_PATH and ./skills (repeatable)",
    )
    return parent


def open_library(args: argparse.Namespace, *, first: list[Path] | None = None) -> Library:
    """The library for this invocation: ``first`` dirs, then the default search path."""
    from agent.errors import UserError
    from agent.skill.library import Library, default_skill_paths  # parsing costs ~0.1 s

    for directory in args.skills_dir:
        if not directory.is_dir():
            raise UserError(f"--skills-dir {directory}: no such directory")
    return Library([*(first or []), *default_skill_paths(args.skills_dir)])


def display_path(path: str | Path | None) -> str | None:
    """Paths relative to the working directory when below it, for stable, short output."""
    if path is None:
        return None
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


def print_json(data: Any) -> None:
    """JSON on stdout, indented for humans, stable key order for diffs."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def warn(message: str) -> None:
    """A non-fatal note on stderr, in the same ``skillweave:`` voice as errors."""
    print(f"skillweave: {message}", file=sys.stderr)


def printable(text: str) -> str:
    """One line with control characters blanked: model text must not drive the terminal."""
    return "".join(c if c.isprintable() else " " for c in " ".join(text.split()))
