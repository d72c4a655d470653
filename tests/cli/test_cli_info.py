"""``skillweave info``: the set-up a command would use, and never a secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
Cli = Callable[..., Any]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SKILLWEAVE_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return tmp_path / "home"


def _info(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("info", "--json", *args)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def test_info_reports_the_data_directory_and_default_database(cli: Cli, home: Path) -> None:
    info = _info(cli)
    assert info["data_dir"] == str(home)
    assert info["database"] == str(home / "skillweave.sqlite")


def test_info_lists_the_skills_path_in_order_with_whether_each_exists(
    cli: Cli, home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    expected = [
        {"path": str(missing), "exists": False},
        {"path": str(REPO / "skills"), "exists": True},
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SKILLWEAVE_SKILLS_PATH", str(missing))
        assert _info(cli)["skills_path"] == expected  # ./skills is the repo's here


def test_info_lists_the_tool_plugins_and_where_they_come_from(cli: Cli, home: Path) -> None:
    plugins = {p["name"]: p for p in _info(cli)["tool_plugins"]}
    assert sorted(plugins) == ["actions", "incident"]
    assert plugins["incident"]["source"] == "entry point"
    assert plugins["incident"]["origin"].startswith("incident = agent._bundled.tools.incident")


def test_info_without_a_model_says_none_and_key_unset(cli: Cli, home: Path) -> None:
    assert _info(cli)["model"] == {
        "spec": None,
        "openai_base_url": None,
        "openai_api_key": "unset",
    }


def test_info_never_prints_the_key_or_url_credentials(
    cli: Cli, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("SKILLWEAVE_MODEL", "vllm:llama@http://bob:hunter2@gpu:8000/v1")
    for args in ((), ("--json",)):
        result = cli("info", *args)
        assert "sk-very-secret" not in result.out
        assert "hunter2" not in result.out
    model = _info(cli)["model"]
    assert model["spec"] == "vllm:llama@http://***@gpu:8000/v1"
    assert model["openai_api_key"] == "set"


def test_info_prints_each_item_on_its_own_line(cli: Cli, home: Path) -> None:
    out = cli("info").out
    assert f"data directory: {home}" in out
    assert "incident: entry point incident = agent._bundled.tools.incident" in out
    assert "model:          none" in out
    assert "OPENAI_API_KEY: unset" in out
