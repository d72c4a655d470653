"""Every third-party module the package imports comes from a declared dependency."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
OURS = {"agent"}
PYTEST_PLUGIN = REPO / "agent" / "evals" / "pytest_plugin.py"
"""Imports pytest, and is loaded only by pytest (``-p agent.evals.pytest_plugin``)."""


def _declared(requirements: list[str]) -> set[str]:
    return {_normal(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) for r in requirements}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported(folder: Path) -> set[str]:
    """Top-level names of every module imported under ``folder``, but its own."""
    names: set[str] = set()
    local = {p.stem for p in folder.rglob("*.py")} | {p.name for p in folder.rglob("*/")}
    for file in set(folder.rglob("*.py")) - {PYTEST_PLUGIN}:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - OURS - local - set(sys.stdlib_module_names)


def _undeclared(folder: Path, declared: set[str]) -> dict[str, list[str]]:
    providers = packages_distributions()
    missing: dict[str, list[str]] = {}
    for module in sorted(_imported(folder)):
        dists = {_normal(d) for d in providers.get(module, [module])}
        if not dists & declared:
            missing[module] = sorted(dists)
    return missing


def test_the_package_and_our_plugins_import_only_declared_dependencies() -> None:
    extras = PROJECT["optional-dependencies"]
    declared = _declared(PROJECT["dependencies"]) | _declared(
        [
            *extras["postgres"],  # imported only for a postgresql:// db
            *extras["temporal"],  # imported only by agent.temporal (worker, --engine temporal)
        ]
    )
    assert _undeclared(REPO / "agent", declared) == {}
    assert _undeclared(REPO / "tools", declared) == {}


def test_the_tests_import_only_declared_dependencies() -> None:
    extras = PROJECT["optional-dependencies"]
    # the browser and live tiers (make test-browser, make test-live) install their extras
    wanted = [*PROJECT["dependencies"], *extras["test"], *extras["dev"]]
    declared = _declared([*wanted, *extras["browser"], *extras["live"]])
    assert _undeclared(REPO / "tests", declared - {"skillweave"}) == {}
