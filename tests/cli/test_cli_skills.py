"""``skillweave skills list|show``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from agent.cli import _skills

Cli = Callable[..., Any]  # the ``cli`` fixture: returns code/out/err


def test_list_shows_project_skills(cli: Cli) -> None:
    result = cli("skills", "list")
    assert result.code == 0
    names = [line.split()[0] for line in result.out.splitlines()[1:]]
    assert names == ["auditor", "constitution", "incident-response", "scratchpad"]


def test_list_json(cli: Cli, snapshot: SnapshotAssertion) -> None:
    result = cli("skills", "list", "--json")
    assert result.code == 0
    assert json.loads(result.out) == snapshot


def test_show_json_for_the_seed(cli: Cli, snapshot: SnapshotAssertion) -> None:
    result = cli("skills", "show", "incident-response", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert [d["name"] for d in data["resolved_dependencies"]] == [
        "constitution",
        "scratchpad",
        "auditor",
    ]
    assert data == snapshot


def test_show_by_path_matches_show_by_name(cli: Cli) -> None:
    by_name = json.loads(cli("skills", "show", "incident-response", "--json").out)
    by_path = json.loads(cli("skills", "show", "skills/incident-response", "--json").out)
    assert by_path == by_name


def test_show_human_summary_lists_steps(cli: Cli) -> None:
    result = cli("skills", "show", "incident-response")
    assert result.code == 0
    assert "1. Severity Classification [power]" in result.out
    assert "invoke tech-debt-tracking" in result.out


def test_show_unknown_skill_is_one_line_and_exit_2(cli: Cli) -> None:
    result = cli("skills", "show", "no-such-skill")
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith("skillweave: unknown skill 'no-such-skill'")


def test_missing_skills_dir_is_a_usage_error(cli: Cli) -> None:
    result = cli("skills", "list", "--skills-dir", "no-such-dir")
    assert result.code == 2
    assert result.err == "skillweave: --skills-dir no-such-dir: no such directory\n"


def _boom(args: object) -> int:
    raise ZeroDivisionError("kaput")


def test_unexpected_error_is_exit_1_without_traceback(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_skills, "run_list", _boom)
    result = cli("skills", "list")
    assert result.code == 1
    assert result.err.startswith("skillweave: internal error: ZeroDivisionError: kaput")
    assert "Traceback" not in result.err


def test_debug_env_shows_the_traceback(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_skills, "run_list", _boom)
    monkeypatch.setenv("SKILLWEAVE_DEBUG", "1")
    result = cli("skills", "list")
    assert result.code == 1
    assert "Traceback" in result.err


def test_a_misspelt_skill_name_gets_a_suggestion(cli: Cli) -> None:
    result = cli("skills", "show", "incidnet-response")
    assert result.code == 2
    assert "did you mean 'incident-response'?" in result.err
