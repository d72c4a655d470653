"""``skillweave graph SKILL``: draw the graph a skill compiles to, without running it."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterable

from agent.cli._common import EXIT_OK, open_library
from agent.graph.compile import compile_skill

WIDTH = 100
"""The ascii outline fits a terminal this wide (a box drawing of the graph did not)."""


def run_graph(args: argparse.Namespace) -> int:
    """Print the drawing; the graph is compiled without a model, so none is needed."""
    skillset = open_library(args).resolve(args.skill)
    drawable = compile_skill(skillset).get_graph()
    if args.format == "mermaid":
        print(drawable.draw_mermaid())
        return EXIT_OK
    edges = [(e.source, e.target, e.conditional) for e in drawable.edges]
    print("\n".join(outline(list(drawable.nodes), edges)))
    return EXIT_OK


def outline(nodes: list[str], edges: Iterable[tuple[str, str, bool]]) -> list[str]:
    """One line per node with its successors, in the graph's node order, wrapped to ``WIDTH``.

    ``→`` is an edge always taken, ``⇢`` one a node chooses at run time.
    """
    targets: dict[str, list[tuple[str, bool]]] = {n: [] for n in nodes}
    for source, target, conditional in edges:
        targets.setdefault(source, []).append((target, conditional))
    order = {n: i for i, n in enumerate(nodes)}
    pad = max((len(n) for n in targets if targets[n]), default=0)
    lines = ["→ always  ⇢ chosen at run time"]
    for node, out in targets.items():
        if not out:
            continue
        out.sort(key=lambda t: order.get(t[0], len(order)))
        # a no-break space keeps each arrow with its target when the line wraps
        text = ", ".join(f"{'⇢' if cond else '→'}\xa0{target}" for target, cond in out)
        wrapped = textwrap.wrap(
            f"{node.ljust(pad)}  {text}",
            width=WIDTH,
            subsequent_indent=" " * (pad + 2),
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines += [line.replace("\xa0", " ") for line in wrapped]
    return lines
