"""A run paused by a skillweave from before one interrupt per question: said so, not misread."""

from __future__ import annotations

import pytest
from langgraph.types import Interrupt

from agent.engine.api import _answer_command, result_of
from agent.errors import RunNotPausedError

OLD = Interrupt(
    value={
        "questions": [{"id": "sev-abc", "text": "SEV2 or SEV3?", "kind": "clarify"}],
        "skill": "incident-response",
    },
    id="i1",
)


def test_its_status_is_paused_and_says_which_version_can_finish_it() -> None:
    result = result_of("t1", {"status": "running"}, [OLD])
    assert result.status == "paused"  # not "failed: the process driving the run stopped"
    assert result.questions == []
    assert result.error is not None
    assert "before one interrupt per question" in result.error
    assert "finish it with the skillweave that started it" in result.error


@pytest.mark.parametrize("answers", [None, {"sev-abc": "SEV2"}])
def test_answering_or_resuming_it_is_a_clear_error(answers: dict[str, str] | None) -> None:
    with pytest.raises(RunNotPausedError, match="before one interrupt per question"):
        _answer_command("t1", [OLD], answers)
