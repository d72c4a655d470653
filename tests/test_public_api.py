"""The package's public surface: small, explicit, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import agent


def test_every_public_name_resolves() -> None:
    missing = [name for name in agent.__all__ if getattr(agent, name, None) is None]
    assert missing == []


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="not_a_thing"):
        _ = agent.not_a_thing  # type: ignore[attr-defined]


def test_importing_the_package_does_not_load_the_model_or_graph_layers() -> None:
    code = "import sys, agent; print([m for m in ('openai', 'langgraph') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
