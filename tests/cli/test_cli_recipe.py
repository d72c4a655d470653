"""The run's recipe lives in the run database: continuing a run needs only its thread id."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
SEV2 = "q1=SEV2 — payments are a major feature"  # the script expects the reason
Cli = Callable[..., Any]


def _postgres() -> str:
    try:
        with psycopg.connect(PG_URL, connect_timeout=2):
            return PG_URL
    except psycopg.OperationalError:
        pytest.skip(f"Postgres is not reachable at {PG_URL}")


def _start(cli: Cli, *extra: str) -> dict[str, Any]:
    result = cli(
        "run",
        "incident-response",
        "--evidence",
        str(EXAMPLE),
        "--model",
        f"scripted:{EXAMPLE / 'script.yaml'}",
        "--no-input",
        "--json",
        *extra,
    )
    assert result.code == 3, result.err
    return dict(json.loads(result.out))


@pytest.mark.postgres
def test_a_run_started_on_one_machine_is_answered_and_finished_on_another(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _postgres()
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "machine-a"))
    thread = f"m-{uuid.uuid4().hex}"
    paused = _start(cli, "--db", db, "--thread", thread)
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "machine-b"))  # nothing of A's here
    severity = cli("answer", thread, "--db", db, "--answer", SEV2, "--no-input", "--json")
    assert severity.code == 3, severity.err
    approval = json.loads(severity.out)["questions"][0]
    done = cli("answer", thread, "--db", db, "--answer", f"{approval['id']}=approve", "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["status"] == "completed"
    assert paused["thread_id"] == thread
    assert (tmp_path / "machine-b" / "backlog.jsonl").is_file()  # B's tools did the follow-ups


def test_the_skills_dir_a_run_started_with_is_remembered(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "home"))
    elsewhere = tmp_path / "my-skills"
    shutil.copytree(REPO / "skills", elsewhere)
    renamed = elsewhere / "incident-response"
    paused = _start(cli, "--skills-dir", str(elsewhere))
    result = cli("answer", paused["thread_id"], "--answer", SEV2, "--no-input", "--json")
    assert result.code == 3, result.err
    transcript = json.loads(cli("transcript", paused["thread_id"]).out)
    assert transcript["skill"]["name"] == "incident-response"
    assert renamed.is_dir()


def _copied_skill_run(cli: Cli, tmp_path: Path) -> tuple[str, Path]:
    folder = tmp_path / "skills"
    shutil.copytree(REPO / "skills", folder)
    paused = _start(cli, "--skills-dir", str(folder))
    return str(paused["thread_id"]), folder / "incident-response" / "SKILL.md"


def test_a_changed_skill_file_is_one_line_naming_the_file_and_hashes(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "home"))
    thread, skill_file = _copied_skill_run(cli, tmp_path)
    skill_file.write_text(skill_file.read_text(encoding="utf-8") + "\nA late edit.\n", "utf-8")
    result = cli("answer", thread, "--answer", SEV2, "--no-input")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert str(skill_file) in line
    assert "changed since the run started" in line
    assert "now" in line


def test_a_skill_file_that_is_gone_is_one_line_naming_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "home"))
    thread, skill_file = _copied_skill_run(cli, tmp_path)
    shutil.rmtree(skill_file.parent)
    result = cli("answer", thread, "--answer", SEV2, "--no-input")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert str(skill_file) in line
    assert "is gone" in line


def test_a_database_from_an_older_skillweave_gets_a_clear_message(cli: Cli, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(old) as conn:
        conn.execute(
            "CREATE TABLE skillweave_threads (thread_id TEXT PRIMARY KEY, skill TEXT, "
            "status TEXT, started_at TEXT, updated_at TEXT)"
        )
        conn.execute("INSERT INTO skillweave_threads VALUES ('r1', 's', 'paused', 'a', 'b')")
    result = cli("resume", "r1", "--db", f"sqlite:///{old}")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert "older skillweave" in line
    assert "Traceback" not in result.err


def test_an_unknown_thread_names_the_database(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    result = cli("status", "nope", "--db", f"sqlite:///{db}")
    assert result.code == 2
    assert str(db) in result.err


def test_an_answer_outside_the_choices_is_refused_listing_them(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "home"))
    paused = _start(cli)
    result = cli("answer", paused["thread_id"], "--answer", "q1=SEV5", "--no-input")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert "'SEV5' is not one of the choices for q1: SEV2, SEV3" in line
    still = cli("status", paused["thread_id"], "--json")
    assert json.loads(still.out)["status"] == "paused"  # nothing was lost


def test_a_scripted_run_says_on_stdout_that_no_model_was_called(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "home"))
    paused = _start(cli)
    result = cli("status", paused["thread_id"])
    assert "scripted: " in result.out
    assert "no model was called; token counts are estimates" in result.out
    assert "prompt +" not in result.out
