"""Fixtures for graph tests: the seed skill resolved from the repo and a run database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.graph.compile import judge_schedule
from agent.skill.library import Library, SkillSet
from graph.scripts import incident

REPO = Path(__file__).resolve().parents[2]
SKILLS = REPO / "skills"


@pytest.fixture(scope="session")
def seed() -> SkillSet:
    """incident-response with constitution, scratchpad and auditor."""
    return Library([SKILLS]).resolve("incident-response")


@pytest.fixture
def happy(seed: SkillSet) -> dict[str, list[dict[str, Any]]]:
    """A fresh happy-path script for the seed (tests edit their copy)."""
    return incident.happy(seed.skill, judge_schedule(seed.skill))


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A fresh SQLite run database per test."""
    return f"sqlite:///{tmp_path / 'runs.sqlite'}"
