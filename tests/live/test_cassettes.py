"""The live tier's recorded runs, replayed offline in the default suite.

Each cassette in ``tests/live/cassettes/`` was recorded by ``make test-live`` against
a real llama-cpp-python server; replaying it through the engine, with the same
inputs and answers, must make exactly the recorded requests and end the same way.
A prompt or request-shape change shows up here as a replay mismatch: re-record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.llm import build_model
from agent.llm.base import ChatModel
from agent.llm.replay import ReplayTransport

from .runs import CORPUS, RUNS, LiveRun, drive, read_facts


def replay_model(cassette: Path) -> ChatModel:
    """A model serving ``cassette`` (one object for the whole run, start and resumes alike)."""
    return build_model(f"replay:{cassette}")


def _transport(model: ChatModel) -> ReplayTransport:
    http: Any = model._http  # type: ignore[attr-defined]  # the replay model's own client
    transport = http._transport
    assert isinstance(transport, ReplayTransport)
    return transport


STALE = {
    "incident-response": (
        "recorded before per-step tools (5ba779e): each step now offers its policy's "
        "step_tools plus more_tools, so the step requests' `tools` differ; re-record with "
        "`make test-live RECORD=1` and drop this entry"
    ),
}
"""Cassettes a request-shape change made stale; strict, so a re-recorded one must be removed."""


def _params() -> list[Any]:
    return [
        pytest.param(
            run,
            id=run.name,
            marks=[pytest.mark.xfail(reason=STALE[run.name], strict=True)]
            if run.name in STALE
            else [],
        )
        for run in RUNS
    ]


@pytest.mark.parametrize("run", _params())
async def test_recorded_run_replays_to_the_same_end(run: LiveRun, tmp_path: Path) -> None:
    if isinstance(run.skill_ref, Path) and not run.skill_ref.exists():
        pytest.skip(f"the third-party corpus is not at {CORPUS}")
    facts = read_facts(run)
    model = replay_model(run.cassette)

    outcome = await drive(run, model, db=f"sqlite:///{tmp_path / 'runs.sqlite'}", data_dir=tmp_path)

    _transport(model).assert_complete()
    assert outcome.facts() == {k: facts[k] for k in outcome.facts()}
