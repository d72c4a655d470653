"""An app over a fresh run database, a tokens file of four callers, and clients for each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from web_helpers import EXAMPLE, HOSTILE, HOSTILE_SKILLS, SCRIPTED, TOKENS, client_for

from agent.access import TokenBook, load_tokens
from agent.http import ServerSettings, create_app
from agent.http.runs import RunHub


@pytest.fixture
def book(tmp_path: Path) -> TokenBook:
    """dana and erin (payments operators), omar (another team), vic (payments viewer)."""
    path = tmp_path / "tokens.yaml"
    entries = [
        {"token": t, "principal": name, "role": role, "team": team}
        for name, (t, role, team) in TOKENS.items()
    ]
    path.write_text(yaml.safe_dump(entries), encoding="utf-8")
    return load_tokens(path)


@pytest.fixture
def settings(tmp_path: Path, book: TokenBook) -> ServerSettings:
    """Generous waits so a scripted run always settles within the request."""
    return ServerSettings(
        db=f"sqlite:///{tmp_path / 'runs.sqlite'}",
        data_dir=tmp_path,
        tokens=book,
        start_wait=30,
        answer_wait=30,
        poll_seconds=0.05,
        skill_paths=(HOSTILE_SKILLS,),
        models=(SCRIPTED, HOSTILE["model"]),
        evidence_roots=(EXAMPLE.parent,),
    )


@pytest.fixture
async def app(settings: ServerSettings) -> AsyncIterator[Any]:
    """The app; drives still going at the end of a test are let finish."""
    application = create_app(settings)
    yield application
    hub: RunHub = application.state.hub
    await hub.close()


@pytest.fixture
async def dana(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An operator of team payments."""
    async with client_for(app, "dana") as client:
        yield client


@pytest.fixture
async def erin(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """dana's team mate."""
    async with client_for(app, "erin") as client:
        yield client


@pytest.fixture
async def omar(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An operator of another team."""
    async with client_for(app, "omar") as client:
        yield client


@pytest.fixture
async def vic(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A viewer of team payments."""
    async with client_for(app, "vic") as client:
        yield client


@pytest.fixture
async def anonymous(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """No token at all."""
    async with client_for(app, None) as client:
        yield client
