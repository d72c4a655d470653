"""Fixtures for the MCP front door: a server over the offline incident example."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_support import EXAMPLE, SCRIPT

from agent.mcp import ServerConfig


@pytest.fixture
def config(tmp_path: Path) -> ServerConfig:
    """A server on the scripted model, with its own run database."""
    return ServerConfig(
        model=SCRIPT,
        db=f"sqlite:///{tmp_path / 'runs.sqlite'}",
        data_dir=tmp_path,
        evidence_roots=(EXAMPLE,),
    )
