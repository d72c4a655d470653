"""Fixtures for tool tests: the seed skill, a run database and a tool context per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.plugins import ToolContext
from agent.skill.library import Library, SkillSet

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "incidents"


@pytest.fixture(scope="session")
def seed() -> SkillSet:
    """incident-response with its dependencies, from the repo."""
    return Library([REPO / "skills"]).resolve("incident-response")


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A fresh SQLite run database."""
    return f"sqlite:///{tmp_path / 'runs.sqlite'}"


@pytest.fixture
def context(tmp_path: Path) -> ToolContext:
    """A tool context over the first example bundle, writing under a tmp data dir."""
    return ToolContext(
        data_dir=tmp_path / "data",
        thread_id="t-1",
        evidence_dir=EXAMPLES / "checkout-deploy-spike",
    )
