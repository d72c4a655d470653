"""``skillweave graph SKILL``: the compiled graph drawn without a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Cli = Callable[..., Any]
STEPS = ("severity-classification", "triage", "mitigate", "postmortem")


@pytest.fixture(autouse=True)
def _no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLWEAVE_MODEL", raising=False)


def test_mermaid_shows_every_step_and_the_control_nodes(cli: Cli) -> None:
    result = cli("graph", "incident-response")
    assert result.code == 0
    assert result.out.startswith("---") or "graph TD" in result.out
    for node in (*STEPS, "plan", "router", "guard", "ask", "audit"):
        assert node in result.out


def test_ascii_draws_the_same_nodes(cli: Cli) -> None:
    result = cli("graph", "incident-response", "--format", "ascii")
    assert result.code == 0
    assert "graph TD" not in result.out
    for node in STEPS:
        assert node in result.out


def test_ascii_is_an_outline_that_fits_100_columns(cli: Cli) -> None:
    result = cli("graph", "incident-response", "--format", "ascii")
    assert max(len(line) for line in result.out.splitlines()) <= 100
    assert "severity-classification  → guard" in result.out
    assert "⇢ severity-classification" in result.out  # the router chooses the next step


def test_a_wrapped_outline_line_keeps_each_arrow_with_its_target() -> None:
    from agent.cli._graph import outline

    targets = [f"step-number-{i}" for i in range(12)]
    lines = outline(["router", *targets], [("router", t, True) for t in targets])
    assert len(lines) > 2
    assert all(len(line) <= 100 for line in lines)
    assert not any(line.rstrip().endswith("⇢") for line in lines)


def test_graph_of_an_unknown_skill_is_an_input_error(cli: Cli) -> None:
    result = cli("graph", "no-such-skill")
    assert result.code == 2
    assert "no-such-skill" in result.err


def test_an_unknown_format_is_a_usage_error(cli: Cli) -> None:
    assert cli("graph", "incident-response", "--format", "png").code == 2
