"""Fixtures shared by the skill parser tests: the seed skill and the corpus files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.skill.model import Skill
from agent.skill.parse import decode_skill, parse_skill

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "skills" / "incident-response" / "SKILL.md"
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()


def _corpus_files() -> list[Path]:
    """Every skill file of the third-party corpus (its README and LICENSE are not skills)."""
    return sorted(p for p in CORPUS.rglob("*.md") if p.stem not in ("README", "LICENSE"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking ``corpus_path`` runs once per corpus file, with a readable id."""
    if "corpus_path" in metafunc.fixturenames:
        files = _corpus_files()
        ids = [str(p.relative_to(CORPUS)).removesuffix("/SKILL.md") for p in files]
        metafunc.parametrize("corpus_path", files, ids=ids)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """Root of the corpus; tests skip cleanly when the shared data is absent."""
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    return CORPUS


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The project's seed skill as text."""
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed(seed_text: str) -> Skill:
    """The project's seed skill, parsed once."""
    return parse_skill(seed_text, path=str(SEED))


@pytest.fixture(scope="session")
def read_skill() -> Callable[[Path], Skill]:
    """Decode and parse a file the way the library does."""

    def read(path: Path) -> Skill:
        return parse_skill(decode_skill(path.read_bytes(), path=str(path)), path=str(path))

    return read
