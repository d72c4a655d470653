"""A run that failed keeps its story: what failed, where, what it cost, and a transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.engine import api
from agent.errors import ModelAPIError, ModelError, ModelOutputError
from agent.llm._usage import attach_usage
from agent.llm.base import ModelRequest, ModelResponse, Usage
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "checkout-deploy-spike"


class DownAfterPlan:
    """The example's script until the first step, then a server that is down after 2 calls."""

    name = "flaky-server"

    def __init__(self) -> None:
        self.inner = ScriptedModel.from_file(EXAMPLE / "script.yaml")

    def fault(self) -> ModelError:
        return ModelAPIError("flaky-server: the server refused the request", status=503)

    async def generate(self, request: ModelRequest[Any]) -> ModelResponse[Any]:
        if request.purpose == "plan":
            return await self.inner.generate(request)
        exc = self.fault()
        attach_usage(exc, Usage(prompt_tokens=120, completion_tokens=7, calls=2))
        raise exc


class UnusableAfterPlan(DownAfterPlan):
    """Every reply after the plan breaks its schema: a reply and two repairs, each spent."""

    def fault(self) -> ModelError:
        return ModelOutputError("weak: reply breaks StepResult after 2 repairs", raw="{", errors="")

    async def aclose(self) -> None:
        """Nothing to release."""


async def _run(model: DownAfterPlan, seed: SkillSet, db: str, tmp_path: Path) -> api.RunResult:
    return await api.start(seed, {"incident": "5xx"}, "f", model=model, db=db, data_dir=tmp_path)


async def test_a_failed_run_says_what_failed_where_and_counts_the_calls_it_spent(
    seed: SkillSet, db: str, tmp_path: Path
) -> None:
    result = await _run(DownAfterPlan(), seed, db, tmp_path)
    assert result.status == "failed"
    assert result.failure is not None
    assert result.failure["type"] == "ModelAPIError"
    assert result.failure["node"] == "severity-classification"
    assert "503" in result.failure["message"]
    failed = result.usage["by_node"]["failed:severity-classification"]
    assert failed["calls"] == 2
    assert result.usage["total"]["calls"] == 3  # the plan's call and the two spent ones


async def test_a_step_whose_replies_never_fit_counts_the_calls_it_spent(
    seed: SkillSet, db: str, tmp_path: Path
) -> None:
    result = await _run(UnusableAfterPlan(), seed, db, tmp_path)
    assert result.status == "paused"  # the shipped policy asks a human for what the step owed
    spent = result.usage["by_node"]["step:severity-classification"]
    assert (spent["calls"], spent["prompt_tokens"]) == (2, 120)
    assert result.usage["total"]["calls"] == 3


async def test_status_and_transcript_of_a_failed_run_carry_the_cause_skill_and_model(
    seed: SkillSet, db: str, tmp_path: Path
) -> None:
    await api.start(seed, {"incident": "5xx"}, "f", model=DownAfterPlan(), db=db, data_dir=tmp_path)
    status = await api.get_status("f", db=db, data_dir=tmp_path)
    assert status.status == "failed"
    assert status.error is not None
    assert "severity-classification" in status.error
    transcript = await api.export_transcript("f", db=db, data_dir=tmp_path)
    assert transcript.skill.name == "incident-response"
    assert transcript.model == "flaky-server"
    assert transcript.failure is not None
    assert transcript.failure["type"] == "ModelAPIError"
