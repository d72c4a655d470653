"""Packaging: the wheel carries our skills, tool plugins and examples, and works on its own.

The repository keeps ``skills/``, ``tools/`` and ``examples/`` at the top level;
pyproject.toml maps them into the wheel as ``agent/_bundled/<name>``. The slow
test builds the wheel, installs it (not editable) into a fresh virtual
environment and runs the CLI from an empty folder, as a new user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

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


def test_data_folders_python_could_import_are_listed_as_packages() -> None:
    # setuptools warns that such folders "would be ignored" unless listed.
    importable = {
        f"agent._bundled.{'.'.join(d.relative_to(REPO).parts)}"
        for name in SHIPPED
        for d in (REPO / name).rglob("*")
        if d.is_dir() and d.name.isidentifier() and d.name != "__pycache__"
    }
    assert importable <= set(SETUPTOOLS["packages"])


def _shipped_files() -> set[str]:
    return {
        str(f.relative_to(REPO))
        for name in SHIPPED
        for f in (REPO / name).rglob("*")
        if f.is_file() and "__pycache__" not in f.parts
    }


def test_our_tool_plugins_are_entry_points_naming_their_files() -> None:
    points = PYPROJECT["project"]["entry-points"]["skillweave.tools"]
    assert points == {
        p.stem: f"agent._bundled.tools.{p.stem}" for p in (REPO / "tools").glob("*.py")
    }


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_installed_wheel_works_from_an_empty_folder(tmp_path: Path) -> None:
    dist, venv, empty = tmp_path / "dist", tmp_path / "venv", tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKILLWEAVE_", "VIRTUAL_ENV"))}
    env["SKILLWEAVE_HOME"] = str(tmp_path / "home")
    built = _run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)], REPO, env)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        bundled = {n.removeprefix("agent/_bundled/") for n in archive.namelist()}
    assert _shipped_files() <= bundled
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], empty, env)
    assert installed.returncode == 0, installed.stderr[-2000:]
    skillweave = str(venv / "bin" / "skillweave")

    listed = _run([skillweave, "skills", "list", "--json"], empty, env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert {r["name"] for r in rows} == {
        "incident-response",
        "constitution",
        "scratchpad",
        "auditor",
    }
    assert all("site-packages/agent/_bundled/skills/" in r["path"] for r in rows)

    info = json.loads(_run([skillweave, "info", "--json"], empty, env).stdout)
    plugins = {p["name"]: p for p in info["tool_plugins"]}
    assert sorted(plugins) == ["actions", "incident"]
    assert "site-packages/agent/_bundled/tools/incident.py" in plugins["incident"]["file"]

    demo = _run([skillweave, "demo", "--json"], empty, env)
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert json.loads(demo.stdout)["status"] == "completed"

    example = (
        Path(info["skills_path"][-1]["path"]).parent / "examples/incidents/checkout-deploy-spike"
    )
    run = _run(
        [
            skillweave,
            "run",
            "incident-response",
            "--evidence",
            str(example),
            "--model",
            f"scripted:{example / 'script.yaml'}",
            "--answers-file",
            str(example / "answers.yaml"),
            "--no-input",
        ],
        empty,
        env,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "status: completed" in run.stdout
