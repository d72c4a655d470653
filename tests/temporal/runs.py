"""The runs the Temporal tests hand to workers: incident-response on the shipped example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agent.engine.answers import Answer, match_answers
from agent.temporal.messages import StartRequest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"
HEARTBEAT_SECONDS = 2.0
"""Short, so a killed worker's advance moves on within seconds."""


def request() -> StartRequest:
    """incident-response on the example, with its scripted model."""
    return StartRequest(
        skill="incident-response",
        inputs={"incident": "checkout 5xx"},
        model=f"scripted:{EXAMPLE / 'script.yaml'}",
        evidence=str(EXAMPLE),
        skill_paths=[str(REPO / "skills")],
        heartbeat_seconds=HEARTBEAT_SECONDS,
    )


def example_answers(questions: list[dict[str, Any]]) -> dict[str, Answer]:
    """The example's answers to the pending questions."""
    given = yaml.safe_load((EXAMPLE / "answers.yaml").read_text(encoding="utf-8"))
    return match_answers(questions, given, set())
