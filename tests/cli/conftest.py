"""Run the real ``skillweave`` entry point in-process with isolated environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.cli import main
from agent.skill.library import Library, SkillSet

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Result:
    """What a user would see: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repo root with no skills path from the developer's shell."""
    monkeypatch.delenv("SKILLWEAVE_SKILLS_PATH", raising=False)
    monkeypatch.delenv("SKILLWEAVE_DEBUG", raising=False)
    monkeypatch.chdir(REPO)


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs in a data directory of the test's own, and no model from the developer's shell."""
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SKILLWEAVE_MODEL", raising=False)


@pytest.fixture(scope="module")
def seed() -> SkillSet:
    """The seed skill with its dependencies resolved (test_cli_run wants its Skill alone)."""
    return Library([REPO / "skills"]).resolve("incident-response")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Call ``skillweave ARGS...`` and capture its output."""

    def run(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
