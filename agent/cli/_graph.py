"""``skillweave graph SKILL``: draw the graph a skill compiles to, without running it."""

from __future__ import annotations

import argparse

from agent.cli._common import EXIT_OK, open_library, skills_options
from agent.graph.compile import compile_skill


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``graph`` command."""
    parser = subparsers.add_parser(
        "graph", parents=[skills_options()], help="draw a skill's compiled graph"
    )
    parser.add_argument("skill", metavar="SKILL")
    parser.add_argument(
        "--format", choices=("mermaid", "ascii"), default="mermaid", help="drawing format"
    )
    parser.set_defaults(handler=run_graph)


def run_graph(args: argparse.Namespace) -> int:
    """Print the drawing; the graph is compiled without a model, so none is needed."""
    skillset = open_library(args).resolve(args.skill)
    drawable = compile_skill(skillset).get_graph()
    print(drawable.draw_mermaid() if args.format == "mermaid" else drawable.draw_ascii())
    return EXIT_OK
