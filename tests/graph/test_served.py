"""The compiled graph as LangGraph Server runs it: no RunContext; model and evidence from the run.

In process, with LangGraph's in-memory checkpointer, so the server-mode context and the
per-question interrupts are checked without starting a server (tests/langgraph does that).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore
from langgraph.types import Command

from agent.errors import UserError
from agent.graph.server import (
    EVIDENCE_ENV,
    MODELS_ENV,
    evidence_folder,
    model_spec,
    post_approved,
    skill_graph,
)
from agent.skill.policy import load_policy

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "langgraph" / "two-at-once.yaml"
EVIDENCE = REPO / "examples" / "incidents" / "cart-multi-service"


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, Any]]:
    """The incident-response graph with a checkpointer, and a run config naming the model."""
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path))
    monkeypatch.setenv(MODELS_ENV, f"scripted:{SCRIPT}")
    monkeypatch.setenv(EVIDENCE_ENV, str(EVIDENCE.parent))
    graph = (await skill_graph("incident-response")()).copy(
        update={"checkpointer": InMemorySaver(), "store": InMemoryStore()}
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


async def test_a_run_whose_configuration_names_no_model_uses_the_servers_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path))
    monkeypatch.setenv("SKILLWEAVE_MODEL", f"scripted:{SCRIPT}")
    monkeypatch.setenv(EVIDENCE_ENV, str(EVIDENCE.parent))
    graph = (await skill_graph("incident-response")()).copy(
        update={"checkpointer": InMemorySaver()}
    )
    config: Any = {"configurable": {"thread_id": uuid.uuid4().hex}}
    # the server coerces the configuration's context keys, none here, into the schema
    await graph.ainvoke({"inputs": {"evidence": str(EVIDENCE)}}, config, context={})
    state = await graph.aget_state(config)
    assert state.values["model"] == f"scripted:{SCRIPT.name}"
    assert len(state.interrupts) == 2


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


HOOK = "https://hooks.example/actions"


async def _approve_one_reject_one(graph: Any, config: dict[str, Any]) -> None:
    """Answer the two questions, then approve the feature flag and reject the rollback."""
    first, second = (await graph.aget_state(config)).interrupts
    await graph.ainvoke(Command(resume={first.id: "SEV2", second.id: "cart"}), config)
    approvals = {
        i.value["action_requests"][0]["name"]: i.id
        for i in (await graph.aget_state(config)).interrupts
    }
    decisions = {
        approvals["feature-flag-off"]: {"decisions": [{"type": "approve"}], "by": "sam"},
        approvals["rollback-deploy"]: {"decisions": [{"type": "reject"}], "by": "sam"},
    }
    await graph.ainvoke(Command(resume=decisions), config)


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.Route]:
    """The action webhook the served runs post to (respx)."""
    monkeypatch.setenv("SKILLWEAVE_ACTION_WEBHOOK", HOOK)
    with respx.mock:
        yield respx.post(HOOK)


async def test_a_served_run_posts_each_approved_action_once_to_the_webhook(
    served: tuple[Any, dict[str, Any]], hook: respx.Route
) -> None:
    graph, config = served
    hook.respond(200)
    await _approve_one_reject_one(graph, config)
    state = await graph.aget_state(config)
    assert state.values["status"] == "completed"
    (call,) = hook.calls
    sent = json.loads(call.request.content)
    assert (sent["action"]["type"], sent["approved_by"]) == ("feature-flag-off", "sam")
    assert call.request.headers["Idempotency-Key"] == sent["approval_id"]
    policy = load_policy(REPO / "skills" / "incident-response")
    assert policy is not None
    thread = config["configurable"]["thread_id"]
    again = await post_approved(policy, state.values, graph.store, thread)
    assert again == []  # the store remembers the delivery: a node that runs again sends nothing
    assert hook.call_count == 1


async def test_a_webhook_that_fails_is_tried_again_at_the_next_accepted_step(
    served: tuple[Any, dict[str, Any]], hook: respx.Route
) -> None:
    graph, config = served
    hook.side_effect = [httpx.Response(503), httpx.Response(200)]
    await _approve_one_reject_one(graph, config)
    assert hook.call_count == 2  # refused once (mitigate accepted), delivered after postmortem
    assert (await graph.aget_state(config)).values["status"] == "completed"


def test_a_caller_may_name_only_a_model_the_operator_offers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SKILLWEAVE_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv(MODELS_ENV, "openai:gpt-4o, local@http://10.0.0.5:8000/v1")
    assert model_spec({}) == "openai:gpt-4o-mini"
    assert model_spec({"model": "local@http://10.0.0.5:8000/v1"}) == "local@http://10.0.0.5:8000/v1"
    with pytest.raises(UserError, match=f"not offered by this server.*{MODELS_ENV}"):
        model_spec({"model": "openai:gpt-4o@http://attacker.example/v1"})


def test_without_a_list_only_the_default_model_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLWEAVE_MODEL", "openai:gpt-4o-mini")
    monkeypatch.delenv(MODELS_ENV, raising=False)
    assert model_spec({"model": "openai:gpt-4o-mini"}) == "openai:gpt-4o-mini"
    with pytest.raises(UserError, match="not offered"):
        model_spec({"model": "scripted:/etc/passwd"})


def test_evidence_must_lie_under_the_operators_roots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    allowed, elsewhere = tmp_path / "incidents", tmp_path / "home"
    (allowed / "a").mkdir(parents=True)
    elsewhere.mkdir()
    monkeypatch.setenv(EVIDENCE_ENV, str(allowed))
    assert evidence_folder({"evidence": str(allowed / "a")}) == (allowed / "a").resolve()
    assert evidence_folder({}) is None
    for outside in (elsewhere, allowed / "a" / ".." / ".." / "home", Path("/etc")):
        with pytest.raises(UserError, match="evidence roots"):
            evidence_folder({"evidence": str(outside)})


def test_evidence_roots_default_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "case").mkdir()
    monkeypatch.delenv(EVIDENCE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert evidence_folder({"evidence": "case"}) == (tmp_path / "case").resolve()
    with pytest.raises(UserError):
        evidence_folder({"evidence": str(EVIDENCE)})
