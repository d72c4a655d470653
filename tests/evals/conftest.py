"""Fixtures for eval tests: small suites built from the incident-response scenarios."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "evals" / "incident-response"

MakeSuite = Callable[..., Path]


@pytest.fixture
def make_suite(tmp_path: Path) -> MakeSuite:
    """A suite directory in tmp: chosen incident-response scenarios and a given suite.yaml."""

    def make(
        scenarios: Sequence[str] = ("full-outage-sev1",), name: str = "mini", **config: object
    ) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for scenario in scenarios:
            shutil.copytree(SUITE / "scenarios" / scenario, folder / "scenarios" / scenario)
        settings = {"skill": "incident-response", **config}
        (folder / "suite.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        return folder

    return make
