"""Durable runs across processes: pause here, resume there; crash; race to resume."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from graph.scripts import incident
from graph.scripts.incident import find, reply

from agent.engine import api
from agent.errors import ThreadBusyError
from agent.graph.compile import judge_schedule
from agent.llm.scripted import ScriptedModel
from agent.skill.library import Library

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.py")
SEED = REPO / "skills" / "incident-response" / "SKILL.md"
Script = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def seed_skill() -> Any:
    return Library([REPO / "skills"]).resolve("incident-response").skill


def _script(seed_skill: Any) -> Script:
    return incident.happy(seed_skill, judge_schedule(seed_skill))


def _ask_first(seed_skill: Any, script: Script) -> Script:
    ask = {
        "trigger": find(seed_skill.ambiguity.triggers, "two adjacent levels"),
        "template": find(seed_skill.ambiguity.questions, "Classify as SEV2 or SEV3"),
        "values": {"N": "40", "region": "eu"},
    }
    script["step:severity-classification"].insert(
        0, reply({**incident.step("unsure"), "ambiguities": [ask]})
    )
    return script


def _split(script: Script, done: list[str]) -> tuple[Script, Script]:
    """The replies the first process uses (``done`` purposes' first reply) and the rest."""
    first: Script = {}
    rest: Script = {k: list(v) for k, v in script.items()}
    for purpose in done:
        first.setdefault(purpose, []).append(rest[purpose].pop(0))
    return first, {k: v for k, v in rest.items() if v}


def _write(tmp: Path, name: str, script: Script) -> str:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(script))
    return str(path)


def _driver(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, dict[str, Any] | None, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, (json.loads(out) if proc.returncode == 0 else None), err


async def _wait_for(marker: Path) -> None:
    deadline = time.monotonic() + 30
    while not marker.exists():  # noqa: ASYNC240 - a short poll on a local marker file
        assert time.monotonic() < deadline, "driver never reached the blocking hook"
        await asyncio.sleep(0.01)


def _common(run_db: str, thread_id: str, script: str) -> list[str]:
    return ["--db", run_db, "--skill", str(SEED), "--script", script, "--thread", thread_id]


async def test_a_paused_run_resumes_in_a_new_process(
    run_db: str, thread_id: str, tmp_path: Path, seed_skill: Any
) -> None:
    first, rest = _split(
        _ask_first(seed_skill, _script(seed_skill)), ["plan", "step:severity-classification"]
    )
    paused = await api.start(
        str(SEED), {"alert": "5xx"}, thread_id, model=ScriptedModel(first), db=run_db
    )
    assert paused.status == "paused"
    answers = json.dumps({paused.questions[0]["id"]: {"text": "SEV2", "by": "dana"}})
    script = _write(tmp_path, "rest", rest)
    code, done, err = _finish(
        _driver("resume", *_common(run_db, thread_id, script), "--answers", answers)
    )
    assert code == 0, err
    assert done is not None
    assert done["status"] == "completed", done


async def test_a_killed_process_resumes_without_repeating_completed_model_calls(
    run_db: str, thread_id: str, tmp_path: Path, seed_skill: Any
) -> None:
    script = _script(seed_skill)
    done_before = ["plan", "step:severity-classification", "step:triage"]
    done_before += [p for p in ("judge:severity-classification", "judge:triage") if p in script]
    _, rest = _split(script, done_before)
    marker = tmp_path / "blocked"
    everything = _write(tmp_path, "all", script)
    proc = _driver(
        "start",
        *_common(run_db, thread_id, everything),
        "--block-on",
        "step:mitigate",
        "--marker",
        str(marker),
    )
    await _wait_for(marker)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    # This process only has the replies from mitigation on: a repeated call would fail.
    model = ScriptedModel(rest)
    result = await api.resume(thread_id, model=model, db=run_db)
    assert result.status == "completed", result
    model.assert_complete()


async def test_double_resume_one_wins_and_the_other_gets_a_clear_error(
    run_db: str, thread_id: str, tmp_path: Path, seed_skill: Any
) -> None:
    first, rest = _split(
        _ask_first(seed_skill, _script(seed_skill)), ["plan", "step:severity-classification"]
    )
    paused = await api.start(
        str(SEED), {"alert": "5xx"}, thread_id, model=ScriptedModel(first), db=run_db
    )
    answers = {paused.questions[0]["id"]: "SEV2"}
    marker, release = tmp_path / "holding", tmp_path / "release"
    winner = _driver(
        "resume",
        *_common(run_db, thread_id, _write(tmp_path, "rest", rest)),
        "--answers",
        json.dumps(answers),
        "--block-on",
        "step:severity-classification",
        "--marker",
        str(marker),
        "--release",
        str(release),
    )
    await _wait_for(marker)
    with pytest.raises(ThreadBusyError, match=thread_id):
        await api.resume(thread_id, answers, model=ScriptedModel(rest), db=run_db)
    release.write_text("go")
    code, result, err = _finish(winner)
    assert code == 0, err
    assert result is not None
    assert result["status"] == "completed"
    values, _ = await api.read_state(thread_id, db=run_db)
    assert [e["kind"] for e in values["audit_log"]].count("answer") == 1
