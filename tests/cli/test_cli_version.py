"""``skillweave --version``: the installed distribution's version, from its metadata."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from agent.cli import main


def test_version_prints_the_package_metadata_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"skillweave {version('skillweave')}\n"
