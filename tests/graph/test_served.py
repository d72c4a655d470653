"""The compiled graph as LangGraph Server runs it: no RunContext; model and evidence from the run.

In process, with LangGraph's in-memory checkpointer, so the server-mode context and the
per-question interrupts are checked without starting a server (tests/langgraph does that).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agent.graph.server import skill_graph

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "langgraph" / "two-at-once.yaml"
EVIDENCE = REPO / "examples" / "incidents" / "cart-multi-service"


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, Any]]:
    """The incident-response graph with a checkpointer, and a run config naming the model."""
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path))
    graph = (await skill_graph("incident-response")()).copy(
        update={"checkpointer": InMemorySaver()}
    )
    config = {"configurable": {"thread_id": uuid.uuid4().hex, "model": f"scripted:{SCRIPT}"}}
    await graph.ainvoke({"inputs": {"evidence": str(EVIDENCE)}}, config)
    return graph, config


async def test_the_run_uses_the_configured_model_and_the_inputs_evidence(
    served: tuple[Any, dict[str, Any]],
) -> None:
    graph, config = served
    state = await graph.aget_state(config)
    assert state.values["model"] == f"scripted:{SCRIPT.name}"
    assert len(state.interrupts) == 2  # the script's two questions, each its own interrupt
    assert all(i.response_schema for i in state.interrupts)


async def test_a_value_that_answers_nothing_leaves_its_question_waiting(
    served: tuple[Any, dict[str, Any]],
) -> None:
    graph, config = served
    first, second = (await graph.aget_state(config)).interrupts
    not_an_answer = {"decisions": [{"type": "approve"}]}  # decisions answer only approvals
    await graph.ainvoke(Command(resume={first.id: not_an_answer, second.id: "cart"}), config)
    state = await graph.aget_state(config)
    assert [i.value["id"] for i in state.interrupts] == [first.value["id"]]
    assert set(state.values["answers"]) == {second.value["id"]}
