"""Run databases for the persistence tests: SQLite always, Postgres when it is up."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from agent.skill.library import Library, SkillSet

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_up() -> bool:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(params=["sqlite", "postgres"])
def run_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL shared by the test and its driver processes."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.sqlite'}"
    if not _postgres_up():
        pytest.skip(f"Postgres is not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


@pytest.fixture
def thread_id() -> str:
    """Unique per test, so Postgres runs never collide."""
    return f"t-{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def seed() -> SkillSet:
    """incident-response with its foundation skills."""
    return Library([Path(__file__).resolve().parents[2] / "skills"]).resolve("incident-response")


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A fresh SQLite run database per test."""
    return f"sqlite:///{tmp_path / 'runs.sqlite'}"
