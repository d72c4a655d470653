"""Load: 200 runs at once in one process lose nothing, on SQLite and on Postgres."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from graph.scripts import incident

from agent.engine import api
from agent.graph.compile import judge_schedule
from agent.llm.base import ModelRequest, ModelResponse
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet

RUNS = 200


class Slow:
    """A scripted model that takes a little while, so the runs really overlap."""

    def __init__(self, inner: ScriptedModel) -> None:
        self.inner = inner
        self.name = inner.name

    async def generate(self, request: ModelRequest[Any]) -> ModelResponse[Any]:
        await asyncio.sleep(0.005)
        return await self.inner.generate(request)

    async def aclose(self) -> None:
        """Nothing to release."""


@pytest.mark.slow
async def test_two_hundred_concurrent_runs_all_complete(
    seed: SkillSet, run_db: str, thread_id: str
) -> None:
    script = incident.happy(seed.skill, judge_schedule(seed.skill))
    ids = [f"{thread_id}-{i}" for i in range(RUNS)]
    results = await asyncio.gather(
        *(
            api.start(seed, {"alert": "5xx"}, tid, model=Slow(ScriptedModel(script)), db=run_db)
            for tid in ids
        ),
        return_exceptions=True,
    )
    failures = [r for r in results if not isinstance(r, api.RunResult) or r.status != "completed"]
    assert failures == []
    stored = {r.thread_id: r.status for r in await api.list_runs(db=run_db, limit=100_000)}
    assert all(stored[tid] == "completed" for tid in ids)
