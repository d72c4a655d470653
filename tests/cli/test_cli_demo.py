"""``skillweave demo``: the main job from the installed package, with nothing but a command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.cli._demo import demo_argv, example_names

REPO = Path(__file__).resolve().parents[2]
Cli = Callable[..., Any]


pytestmark = pytest.mark.usefixtures("fresh_home")


def test_the_demo_runs_the_make_demo_command_on_the_shipped_example() -> None:
    example = (REPO / "examples" / "incidents" / "checkout-deploy-spike").resolve()
    assert demo_argv("checkout-deploy-spike") == [
        "run",
        "incident-response",
        "--skills-dir",
        str((REPO / "skills").resolve()),
        "--evidence",
        str(example),
        "--model",
        f"scripted:{example / 'script.yaml'}",
        "--answers-file",
        str(example / "answers.yaml"),
        "--no-input",
    ]


def test_every_shipped_example_with_script_and_answers_is_offered() -> None:
    assert example_names() == [
        "api-capacity-saturation",
        "cart-multi-service",
        "checkout-deploy-spike",
    ]


def test_the_demo_completes_from_any_folder(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("demo", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["status"] == "completed"


def test_an_unknown_example_is_a_usage_error_with_a_suggestion(cli: Cli) -> None:
    result = cli("demo", "--example", "checkout-deploy")
    assert result.code == 2
    assert "did you mean 'checkout-deploy-spike'?" in result.err
