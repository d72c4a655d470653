"""``skillweave graph SKILL``: draw the graph a skill compiles to, without running it."""

from __future__ import annotations

import argparse

from agent.cli._common import EXIT_OK, open_library
from agent.graph.compile import compile_skill


def run_graph(args: argparse.Namespace) -> int:
    """Print the drawing; the graph is compiled without a model, so none is needed."""
    skillset = open_library(args).resolve(args.skill)
    drawable = compile_skill(skillset).get_graph()
    print(drawable.draw_mermaid() if args.format == "mermaid" else drawable.draw_ascii())
    return EXIT_OK
