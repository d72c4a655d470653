"""``skillweave status|threads|transcript|audit verify`` on runs made through the CLI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Overwrite
from scripts import runs

from agent.engine.store import open_checkpointer
from agent.engine.transcript import Transcript
from agent.graph.compile import compile_skill
from agent.skill.library import SkillSet

REPO = Path(__file__).resolve().parents[2]
Cli = Callable[..., Any]


pytestmark = pytest.mark.usefixtures("fresh_home")


def _run(cli: Cli, tmp_path: Path, script: runs.Script, *extra: str) -> str:
    spec = runs.write(script, tmp_path / "script.yaml")
    result = cli("run", "incident-response", "--model", spec, "--json", "--no-input", *extra)
    assert result.code in (0, 3), result.err
    thread: str = json.loads(result.out)["thread_id"]
    return thread


def test_status_of_a_paused_run_lists_its_questions(
    cli: Cli, seed: SkillSet, tmp_path: Path
) -> None:
    thread = _run(cli, tmp_path, runs.asking(seed.skill))
    result = cli("status", thread, "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["status"] == "paused"
    assert data["questions"][0]["trigger"] == runs.severity_trigger(seed.skill)
    assert data["skill"] == "incident-response"


def test_status_in_words_names_the_status_and_thread(
    cli: Cli, seed: SkillSet, tmp_path: Path
) -> None:
    thread = _run(cli, tmp_path, runs.happy(seed.skill))
    result = cli("status", thread)
    assert result.code == 0
    assert f"status: completed · thread {thread}" in result.out


def test_status_of_an_unknown_thread_is_an_input_error(cli: Cli) -> None:
    result = cli("status", "nope")
    assert result.code == 2
    assert "nope" in result.err


def test_threads_lists_every_run_with_skill_status_and_times(
    cli: Cli, seed: SkillSet, tmp_path: Path
) -> None:
    done = _run(cli, tmp_path, runs.happy(seed.skill), "--thread", "t-done")
    paused = _run(cli, tmp_path, runs.asking(seed.skill), "--thread", "t-paused")
    result = cli("threads", "--json")
    assert result.code == 0
    rows = {r["thread_id"]: r for r in json.loads(result.out)}
    assert set(rows) == {done, paused}
    assert rows[done]["status"] == "completed"
    assert rows[paused]["status"] == "paused"
    assert set(rows[done]) == {"thread_id", "skill", "status", "started_at", "updated_at"}
    table = cli("threads").out.splitlines()
    assert table[0].split() == ["thread", "skill", "status", "started", "updated"]
    assert len(table) == 3


def test_transcript_is_written_to_a_file_as_a_valid_document(
    cli: Cli, seed: SkillSet, tmp_path: Path
) -> None:
    thread = _run(cli, tmp_path, runs.happy(seed.skill))
    target = tmp_path / "t.json"
    result = cli("transcript", thread, "-o", str(target))
    assert result.code == 0
    transcript = Transcript.model_validate_json(target.read_text(encoding="utf-8"))
    assert transcript.thread_id == thread
    assert transcript.status == "completed"
    assert transcript.scratchpad is None


def test_transcript_includes_the_scratchpad_only_when_asked(
    cli: Cli, seed: SkillSet, tmp_path: Path
) -> None:
    thread = _run(cli, tmp_path, runs.happy(seed.skill))
    result = cli("transcript", thread, "--include-scratchpad")
    notes = json.loads(result.out)["scratchpad"]
    assert any("dana is on call" in n["text"] for n in notes)


def test_audit_verify_passes_on_an_untouched_run(cli: Cli, seed: SkillSet, tmp_path: Path) -> None:
    thread = _run(cli, tmp_path, runs.happy(seed.skill))
    result = cli("audit", "verify", thread)
    assert result.code == 0
    assert "chain intact" in result.out


async def _tamper(seed: SkillSet, thread: str) -> None:
    """Edit one audit event in the checkpointed state, as someone with database access could."""
    async with open_checkpointer() as saver:
        graph = compile_skill(seed).copy(update={"checkpointer": saver})
        config: Any = {"configurable": {"thread_id": thread}}
        log = [dict(e) for e in (await graph.aget_state(config)).values["audit_log"]]
        log[2] = {**log[2], "data": {**log[2]["data"], "step": "something-else"}}
        await graph.aupdate_state(config, {"audit_log": Overwrite(log)}, as_node="audit")


def test_audit_verify_detects_an_edited_event(cli: Cli, seed: SkillSet, tmp_path: Path) -> None:
    thread = _run(cli, tmp_path, runs.happy(seed.skill))
    asyncio.run(_tamper(seed, thread))
    result = cli("audit", "verify", thread)
    assert result.code == 1
    assert "event #2" in result.out
    assert "edited" in result.out


def test_audit_verify_of_an_unknown_thread_is_an_input_error(cli: Cli) -> None:
    assert cli("audit", "verify", "nope").code == 2


def test_runs_live_in_the_database_named_by_db(cli: Cli, seed: SkillSet, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    thread = _run(cli, tmp_path, runs.happy(seed.skill), "--db", db)
    assert cli("status", thread, "--db", db).code == 0
    assert cli("status", thread).code == 2  # not in the default database
    assert (tmp_path / "elsewhere.sqlite").is_file()
