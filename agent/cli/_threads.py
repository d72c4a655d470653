"""``skillweave status|threads|transcript|audit verify``: inspect stored runs, no model needed."""

from __future__ import annotations

import argparse
import asyncio
import sys

from agent.audit import verify_chain
from agent.cli import _render
from agent.cli._clock import catch_up
from agent.cli._common import EXIT_ERRORS, EXIT_OK, print_json
from agent.cli._run import actions_of
from agent.engine import api
from agent.errors import UserError


def run_status(args: argparse.Namespace) -> int:
    """The run's status, pending questions, violations and usage."""

    async def go() -> tuple[api.RunResult, str | None]:
        await catch_up(args.thread, args.db)
        result = await api.get_status(args.thread, db=args.db)
        return result, (await api.run_info(args.thread, db=args.db)).skill

    result, skill = asyncio.run(go())
    if args.json:
        print_json({**_render.result_json(result), "skill": skill})
        return EXIT_OK
    if skill:
        print(f"skill: {skill}")
    actions = actions_of(args.thread, args.db)
    _render.print_result(result, sys.stdout, color=sys.stdout.isatty(), actions=actions)
    db = f" --db {args.db}" if args.db else ""
    if (gap := _render.script_gap(result)) is not None:
        print(f"stopped: {gap}. Then continue it with: skillweave resume {args.thread}{db}")
    elif result.error:
        print(f"error: {result.error}")
    return EXIT_OK


def run_threads(args: argparse.Namespace) -> int:
    """Every run in the database: id, skill, status, started, updated."""
    columns = ("thread_id", "skill", "status", "started_at", "updated_at")
    rows = [{c: getattr(t, c) for c in columns} for t in asyncio.run(api.list_runs(db=args.db))]
    if args.json:
        print_json(rows)
        return EXIT_OK
    table: list[tuple[str, ...]] = [("thread", "skill", "status", "started", "updated")]
    table += [tuple(str(row[c]) for c in columns) for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


def run_transcript(args: argparse.Namespace) -> int:
    """The Transcript JSON document, on stdout or into ``-o FILE``."""
    if args.langgraph:
        from agent.cli._langgraph import server_transcript

        transcript = server_transcript(args.langgraph, args.thread, args.include_scratchpad)
    else:
        transcript = asyncio.run(
            api.export_transcript(
                args.thread, db=args.db, include_scratchpad=args.include_scratchpad
            )
        )
    text = transcript.model_dump_json(indent=2, exclude_none=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"-o {args.output}: cannot write ({exc.strerror})") from None
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    """Exit 0 when the audit log's hash chain is intact, 1 with every break otherwise."""
    values, _ = asyncio.run(api.read_state(args.thread, db=args.db))
    events = list(values.get("audit_log", []))
    problems = verify_chain(events)
    if not problems:
        print(f"audit log of {args.thread}: {len(events)} events, chain intact")
        return EXIT_OK
    print(f"audit log of {args.thread}: {len(problems)} problem(s)")
    for problem in problems:
        print(f"  {problem}")
    return EXIT_ERRORS
