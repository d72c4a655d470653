"""What crosses the wire between front doors, workflows and activities (pydantic, JSON).

Kept free of Temporal and of the engine's heavy modules: the workflow sandbox
re-imports the workflow module per run, and front doors import this to talk to
the workers.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agent.engine.answers import Answer

WORKFLOW = "skillweave.run"
"""The workflow type name; its workflow id is the run's thread id."""
DEFAULT_HEARTBEAT_SECONDS = 10.0
"""How long a silent advance may go before Temporal gives it to another worker."""


class StartRequest(BaseModel):
    """A new run, as a front door hands it to the workers.

    Paths (skill, evidence, tools and skills folders) are read on the worker that
    runs the first advance, so workers need them at the same place (a shared or
    identical checkout); the engine's recipe records them for later advances.
    """

    skill: str
    inputs: dict[str, Any]
    model: str | None = None
    evidence: str | None = None
    tools_dirs: list[str] = Field(default_factory=list)
    skill_paths: list[str] = Field(default_factory=list)
    principal: str | None = None
    policy: dict[str, Any] | None = None
    """A policy (``Policy.model_dump(mode="json")``) instead of the skill's ``policy.yaml``."""
    heartbeat_seconds: float = Field(default=DEFAULT_HEARTBEAT_SECONDS, gt=0)


class Advance(BaseModel):
    """One resume with answers; ``asked`` names the questions they answer.

    A retried activity compares ``asked`` with the run's pending questions: the
    same ones still pending means the answers were not applied yet.
    """

    answers: dict[str, Answer]
    asked: list[str]


def asked(questions: list[dict[str, Any]]) -> list[str]:
    """The pending questions' ids, in order: what an :class:`Advance` answers."""
    return [str(q["id"]) for q in questions]


def parse_engine(url: str) -> str:
    """``temporal://HOST:PORT`` → ``HOST:PORT``; anything else is a usage error."""
    from agent.errors import ConfigError

    scheme, sep, address = url.partition("://")
    host, colon, port = address.rpartition(":")
    if scheme != "temporal" or not sep or not colon or not host or not port.isdigit():
        raise ConfigError(
            f"--engine {url!r}: use temporal://HOST:PORT (e.g. temporal://127.0.0.1:7233)"
        )
    return address
