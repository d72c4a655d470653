"""``skillweave mcp`` as a subprocess on stdio, driven by the SDK's client and the Inspector."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp_support import EXAMPLE, ROOT, RUN_ARGS, SCRIPT, Human, structured

from agent.engine import api

SKILLWEAVE = Path(sys.executable).with_name("skillweave")
INSPECTOR_DIR = ROOT / ".npm-tools"
INSPECTOR = INSPECTOR_DIR / "node_modules" / ".bin" / "mcp-inspector"

pytestmark = pytest.mark.slow


def _server_args(db: str) -> list[str]:
    return ["mcp", "--model", SCRIPT, "--db", db, "--evidence-root", str(EXAMPLE)]


async def test_the_stdio_server_runs_a_skill_through_its_questions(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    params = StdioServerParameters(
        command=str(SKILLWEAVE), args=_server_args(db), env=dict(os.environ), cwd=ROOT
    )
    async with Client(params, elicitation_callback=Human()) as client:
        result = await client.call_tool("run_skill", RUN_ARGS)
    run = structured(result)
    assert run["status"] == "completed"
    # The run is in the database, owned by the OS user the stdio server runs as.
    (info,) = await api.list_runs(db=db)
    assert info.thread_id == run["thread_id"]
    assert info.principal


def _inspector(tmp_path: Path, *method: str) -> dict[str, object]:
    if shutil.which("npx") is None or shutil.which("node") is None:
        pytest.skip("the MCP Inspector test needs node and npx (not found on PATH)")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    if int(node.stdout.strip().lstrip("v").split(".")[0] or 0) < 20:
        pytest.skip(f"the MCP Inspector needs node 20 or later (found {node.stdout.strip()})")
    if not INSPECTOR.exists():
        pytest.skip("the MCP Inspector is not installed: run `make inspector` (npm)")
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    command = ["npx", "--no-install", "mcp-inspector", "--cli", str(SKILLWEAVE)]
    done = subprocess.run(
        [*command, *_server_args(db), *method],
        cwd=INSPECTOR_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_inspector_lists_the_tools(tmp_path: Path) -> None:
    listed = _inspector(tmp_path, "--method", "tools/list")
    names = {t["name"] for t in listed["tools"]}  # type: ignore[attr-defined]
    assert names == {
        "list_skills",
        "describe_skill",
        "run_skill",
        "answer_run",
        "get_run",
        "list_runs",
    }


def test_the_inspector_runs_a_skill_and_sees_it_paused(tmp_path: Path) -> None:
    # The Inspector's CLI cannot elicit: the run pauses and says how to continue it.
    called = _inspector(
        tmp_path,
        "--method",
        "tools/call",
        "--tool-name",
        "run_skill",
        "--tool-arg",
        "skill=incident-response",
        "--tool-arg",
        f"inputs={json.dumps(RUN_ARGS['inputs'])}",
        "--tool-arg",
        f"evidence={EXAMPLE}",
    )
    assert called["isError"] is False
    run = called["structuredContent"]
    assert run["status"] == "paused"  # type: ignore[index]
    assert run["next_call"]["tool"] == "answer_run"  # type: ignore[index]
