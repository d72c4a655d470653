"""LangGraph Server: a langgraph.json for a folder of skills, and transcripts of its threads.

``skillweave langgraph-config DIR`` writes a langgraph.json with one graph per skill
in DIR, each a checkpointer-free factory (:func:`agent.graph.server.skill_graph`)
defined in a small module beside it, with DIR on the skills path.
``skillweave transcript --langgraph URL THREAD`` reads a thread's state from the
server's API (``GET /threads/{id}/state``) and builds the same transcript document a
local run exports.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

import httpx

from agent.cli._common import EXIT_OK
from agent.engine.api import transcript_of_state
from agent.engine.transcript import Transcript
from agent.errors import UserError
from agent.skill.library import Library

MODULE = "skillweave_graphs.py"
"""The module beside langgraph.json that defines one graph factory per skill."""
API_KEY_ENV = "LANGGRAPH_API_KEY"
"""Sent as ``x-api-key`` when set (a deployed Agent Server); never printed."""


def _attribute(skill: str) -> str:
    """A Python name for a skill's factory: ``incident-response`` → ``incident_response``."""
    name = re.sub(r"\W", "_", skill)
    return f"_{name}" if name[0].isdigit() else name


def langgraph_files(folder: Path, out_dir: Path) -> tuple[dict[str, Any], str]:
    """The langgraph.json document and the factories module serving every skill in ``folder``.

    Paths are relative to ``out_dir`` (where both files go; run ``langgraph dev`` there).
    """
    names = Library([folder]).names()
    if not names:
        raise UserError(f"{folder}: no skills found (NAME/SKILL.md folders or NAME.md files)")
    config = {
        "dependencies": ["."],
        "graphs": {n: f"./{MODULE}:{_attribute(n)}" for n in names},
        "env": {"SKILLWEAVE_SKILLS_PATH": os.path.relpath(folder.resolve(), out_dir.resolve())},
    }
    lines = [f'{_attribute(n)} = skill_graph("{n}")' for n in names]
    doc = '"""LangGraph Server graphs, one per skill: written by `skillweave langgraph-config`."""'
    module = f"{doc}\n\nfrom agent.graph.server import skill_graph\n\n" + "\n".join(lines) + "\n"
    return config, module


def run_langgraph_config(args: argparse.Namespace) -> int:
    """Write langgraph.json and its factories module, and say how to serve them."""
    if not args.folder.is_dir():
        raise UserError(f"{args.folder}: no such directory")
    config, module = langgraph_files(args.folder, args.output)
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / "langgraph.json").write_text(
            json.dumps(config, indent=2) + "\n", encoding="utf-8"
        )
        (args.output / MODULE).write_text(module, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"-o {args.output}: cannot write ({exc.strerror})") from None
    print(f"wrote {args.output / 'langgraph.json'} and {MODULE}: {', '.join(config['graphs'])}")
    print(f"serve them: cd {args.output} && langgraph dev --no-browser --allow-blocking")
    return EXIT_OK


def server_transcript(url: str, thread_id: str, include_scratchpad: bool) -> Transcript:
    """The transcript of a LangGraph Server thread, from its state over the server's API."""
    key = os.environ.get(API_KEY_ENV)
    headers = {"x-api-key": key} if key else {}
    where = f"{url.rstrip('/')}/threads/{thread_id}/state"
    try:
        response = httpx.get(where, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise UserError(f"--langgraph {url}: cannot reach the server ({exc})") from None
    if response.status_code == 404:
        raise UserError(f"--langgraph {url}: no thread '{thread_id}'")
    if response.is_error:
        raise UserError(f"--langgraph {url}: HTTP {response.status_code} reading the thread")
    state = response.json()
    interrupts = [i for task in state.get("tasks", []) for i in task.get("interrupts", [])]
    return transcript_of_state(
        thread_id,
        state.get("values") or {},
        state.get("interrupts") or interrupts,
        include_scratchpad=include_scratchpad,
    )
