"""Live tier: three skills end to end against a real model, recorded, validated and scored.

Each run must end completed, paused-then-answered or blocked (never failed); its
transcript must validate and score (a verdict per success criterion, "errored:
no scorer" allowed); its fresh cassette must replay offline to the same end.
``SKILLWEAVE_LIVE_RECORD=1`` keeps the cassettes in ``tests/live/cassettes/``
for the default suite's replay test. Run it with ``make test-live``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agent.engine import api
from agent.engine.api import resolve_skill
from agent.engine.transcript import Transcript
from agent.llm import build_model, forget_servers

from .conftest import LiveServer
from .runs import (
    ENDINGS,
    RUNS,
    LiveRun,
    baseline_tokens,
    call_target,
    drive,
    sent_tokens,
    write_facts,
)
from .test_cassettes import replay_model

pytestmark = pytest.mark.live

SCHEMA = Path(api.__file__).with_name("transcript.schema.json")


def _validate(transcript: Transcript) -> dict[str, Any]:
    """The transcript as JSON, checked by pydantic and, when installed, by jsonschema."""
    data: dict[str, Any] = json.loads(transcript.model_dump_json())
    Transcript.model_validate(data)
    try:
        import jsonschema
    except ImportError:
        return data
    jsonschema.validate(data, json.loads(SCHEMA.read_text(encoding="utf-8")))
    return data


def _score(transcript: Path, run: LiveRun) -> list[dict[str, Any]]:
    """``skillweave score --json`` on the transcript: one verdict per success criterion."""
    cli = Path(sys.executable).with_name("skillweave")
    done = subprocess.run(
        [str(cli), "score", str(transcript), "--skill", str(run.skill_ref), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: a criterion failed or was not judged
    (report,) = json.loads(done.stdout)
    criteria: list[dict[str, Any]] = report["criteria"]
    return criteria


@pytest.mark.parametrize("run", RUNS, ids=[r.name for r in RUNS])
async def test_skill_runs_end_to_end_on_a_real_model(
    run: LiveRun, live_server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keep = os.environ.get("SKILLWEAVE_LIVE_RECORD") == "1"
    cassette = run.cassette if keep else tmp_path / f"{run.name}.json"
    forget_servers()  # the cassette starts from a server we know nothing about, as replay does
    model = build_model(f"record:{cassette}@{live_server.spec}")
    started = time.perf_counter()
    outcome = await drive(run, model, db=f"sqlite:///{tmp_path / 'runs.sqlite'}", data_dir=tmp_path)
    seconds = time.perf_counter() - started
    assert outcome.ending in ENDINGS, outcome.ending

    transcript = await api.export_transcript(
        outcome.thread_id, db=f"sqlite:///{tmp_path / 'runs.sqlite'}", data_dir=tmp_path
    )
    data = _validate(transcript)
    assert data["status"] == outcome.status
    path = tmp_path / "transcript.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    skillset = resolve_skill(run.skill_ref)
    criteria = _score(path, run)
    assert [c["key"] for c in criteria], "the skill's success criteria were not scored"
    assert len(criteria) == len(skillset.skill.success_criteria)
    assert all(isinstance(c["passed"], bool) for c in criteria)

    replayed = await drive(
        run, replay_model(cassette), db=f"sqlite:///{tmp_path / 'replay.sqlite'}", data_dir=tmp_path
    )
    assert (replayed.status, replayed.calls) == (outcome.status, outcome.calls)

    baseline = baseline_tokens(skillset, outcome.calls)
    estimated = sent_tokens(cassette)  # counted like the baseline, so the two compare
    target = call_target(skillset)
    facts = {
        **outcome.facts(),
        "prompt_tokens_estimated": estimated,
        "baseline_prompt_tokens": baseline,
        "call_target": target,
        "seconds": round(seconds, 1),
        "criteria": {c["key"]: c["error"] or ("pass" if c["passed"] else "fail") for c in criteria},
    }
    if keep:
        write_facts(run, facts)
    with capsys.disabled():
        share = estimated / baseline if baseline else 0.0
        passed = sum(c["passed"] for c in criteria)
        print(
            f"\n[live] {run.name}: {outcome.ending} in {seconds:.0f}s; prompt tokens "
            f"{outcome.prompt_tokens} (server count), {estimated} estimated vs naive "
            f"{baseline} ({share:.0%}, target <= 50%); model calls {outcome.calls} vs "
            f"target {target}; criteria {passed}/{len(criteria)} passed"
        )
