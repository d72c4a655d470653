"""What scoring produces and what a scorer may know: shared by scorers, runner and reports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agent.skill.model import Skill

if TYPE_CHECKING:  # annotations only: validate checks scorer files without engine or model
    from agent.engine.transcript import Transcript
    from agent.llm.base import ChatModel


class CriterionResult(BaseModel):
    """One criterion's verdict on one transcript; ``error`` set means it could not be judged.

    ``evidence`` points into the transcript (JSONPath or ``audit_log[seq]``) so a
    reader can check the verdict against what the run did.
    """

    key: str
    passed: bool
    score: float = Field(ge=0, le=1)
    comment: str = ""
    evidence: list[Any] = Field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class ScoreContext:
    """What a scorer may know besides the transcript: never shown to the model under test."""

    skill: Skill
    expected: Mapping[str, Any]
    judge: ChatModel | None = None


ScoreFn = Callable[["Transcript", ScoreContext], Awaitable[Sequence[CriterionResult]]]
"""Score one transcript: one result per success criterion of the skill."""


def errored(skill: Skill, message: str, extra: Iterable[str] = ()) -> list[CriterionResult]:
    """Every criterion of ``skill`` (and each ``extra`` check) failed with ``message``.

    The record of a run that could not be judged.
    """
    keys = [*(c.id for c in skill.success_criteria), *extra]
    return [
        CriterionResult(key=key, passed=False, score=0.0, comment=message, error=message)
        for key in keys
    ]
