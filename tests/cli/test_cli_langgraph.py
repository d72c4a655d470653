"""`skillweave langgraph-config DIR`: a langgraph.json and its factories for a folder of skills."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Cli = Callable[..., Any]
REPO = Path(__file__).resolve().parents[2]


def test_one_graph_per_skill_each_a_factory_in_the_module_beside_it(
    cli: Cli, tmp_path: Path
) -> None:
    skills = tmp_path / "my-skills"
    (skills / "hello-world").mkdir(parents=True)
    (skills / "hello-world" / "SKILL.md").write_text(
        "---\nname: hello-world\ndescription: says hello\n---\n# Hello\n\nSay hello.\n"
    )
    out = tmp_path / "served"
    result = cli("langgraph-config", str(skills), "-o", str(out))
    assert result.code == 0
    config = json.loads((out / "langgraph.json").read_text())
    assert config["graphs"] == {"hello-world": "./skillweave_graphs.py:hello_world"}
    assert config["env"]["SKILLWEAVE_SKILLS_PATH"] == "../my-skills"
    module = (out / "skillweave_graphs.py").read_text()
    assert 'hello_world = skill_graph("hello-world")' in module


def test_the_repository_langgraph_json_is_what_the_command_writes_for_our_skills(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("langgraph-config", str(REPO / "skills"), "-o", str(tmp_path)).code == 0
    written = json.loads((tmp_path / "langgraph.json").read_text())
    committed = json.loads((REPO / "langgraph.json").read_text())
    assert written["graphs"] == committed["graphs"]
    assert committed["env"] == {"SKILLWEAVE_SKILLS_PATH": "skills"}
    module = (tmp_path / "skillweave_graphs.py").read_text()
    assert module == (REPO / "skillweave_graphs.py").read_text()


def test_a_folder_without_skills_is_an_input_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("langgraph-config", str(tmp_path), "-o", str(tmp_path / "out"))
    assert result.code == 2
    assert "no skills found" in result.err
