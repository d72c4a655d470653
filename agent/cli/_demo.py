"""``skillweave demo [--example NAME]``: the main job, from the installed package alone.

``make demo`` needs a checkout; this needs only ``pip install skillweave``. It
runs incident-response on a shipped example incident with the example's
scripted model and answers file, offline and with nothing typed, through the
ordinary ``run`` command (so it shows exactly what ``skillweave run`` does).
"""

from __future__ import annotations

import argparse
import difflib

from agent._data import examples_dir, shipped_dir
from agent.errors import UserError

DEMO_SKILL = "incident-response"
SCRIPT, ANSWERS = "script.yaml", "answers.yaml"


def example_names() -> list[str]:
    """The shipped examples that the demo can run (those with a script and answers)."""
    root = examples_dir()
    if not root.is_dir():
        return []
    return sorted(
        d.name for d in root.iterdir() if (d / SCRIPT).is_file() and (d / ANSWERS).is_file()
    )


def demo_argv(example: str) -> list[str]:
    """The ``skillweave run`` arguments for one example (the command ``make demo`` runs)."""
    names = example_names()
    if example not in names:
        close = difflib.get_close_matches(example, names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UserError(
            f"unknown example '{example}'{hint}; examples: {', '.join(names) or 'none installed'}"
        )
    folder = examples_dir() / example
    return [
        "run",
        DEMO_SKILL,
        "--skills-dir",  # our skill, even where ./skills holds another incident-response
        str(shipped_dir("skills")),
        "--evidence",
        str(folder),
        "--model",
        f"scripted:{folder / SCRIPT}",
        "--answers-file",
        str(folder / ANSWERS),
        "--no-input",
    ]


def run_demo(args: argparse.Namespace) -> int:
    """Hand the example's ``run`` command line to the CLI itself."""
    from agent.cli import main  # the package imports this module lazily, never at start

    argv = demo_argv(args.example)
    if args.json:
        argv.append("--json")
    if args.db:
        argv += ["--db", args.db]
    return main(argv)
