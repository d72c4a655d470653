"""The CLI shows deadlines and, touching a run, applies those that passed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scripts import runs

from agent.engine import api
from agent.graph._context import FixedClock
from agent.skill.library import SkillSet

REPO = Path(__file__).resolve().parents[2]
Cli = Callable[..., Any]


pytestmark = pytest.mark.usefixtures("fresh_home")


def _paused(seed: SkillSet, tmp_path: Path, started: datetime) -> str:
    spec = runs.write(runs.asking(seed.skill), tmp_path / "script.yaml")
    result = asyncio.run(api.start(seed, {"alert": "5xx"}, model=spec, clock=FixedClock(started)))
    assert result.status == "paused"
    return result.thread_id


def test_status_shows_when_each_question_must_be_answered(
    cli: Cli, seed: SkillSet, tmp_path: Path
) -> None:
    thread = _paused(seed, tmp_path, datetime.now(UTC))
    shown = cli("status", thread)
    data = json.loads(cli("status", thread, "--json").out)
    deadline = data["questions"][0]["deadline"]
    assert f"answer by: {deadline}" in shown.out


def test_status_applies_a_deadline_that_passed_and_says_so(
    cli: Cli, seed: SkillSet, tmp_path: Path
) -> None:
    thread = _paused(seed, tmp_path, datetime.now(UTC) - timedelta(minutes=10))
    result = cli("status", thread, "--json")
    assert "deadline classify-within-five-minutes passed" in result.err
    data = json.loads(result.out)
    assert data["status"] == "completed"
    assert [t["rule_id"] for t in data["timers"]] == ["classify-within-five-minutes"]
