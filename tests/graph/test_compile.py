"""Compiling skills into graphs: nodes, honest edges, schemas narrowed to the skill."""

from __future__ import annotations

import pytest
from langgraph.graph import StateGraph
from pydantic import ValidationError
from syrupy.assertion import SnapshotAssertion

from agent.graph.compile import build_graph, compile_skill
from agent.graph.schemas import build_schemas
from agent.graph.server import skill_graph
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet
from graph.scripts.incident import STEPS

MODEL = ScriptedModel({})


def test_one_node_per_micro_skill_named_by_its_slug(seed: SkillSet) -> None:
    nodes = set(compile_skill(seed).get_graph().nodes)
    assert set(STEPS) <= nodes
    assert {"plan", "router", "guard", "ask", "audit"} <= nodes


def test_mermaid_draws_the_real_edges_only(seed: SkillSet) -> None:
    mermaid = compile_skill(seed).get_graph().draw_mermaid()
    for step in STEPS:
        assert f"router -.-> {step};" in mermaid
        assert f"{step} --> guard;" in mermaid
    assert "plan --> router;" in mermaid
    assert "plan -.->" not in mermaid  # the planner only ever goes to the router
    assert "ask -.-> router;" in mermaid
    assert "ask -.-> audit" not in mermaid


def test_build_graph_is_checkpointer_free_for_langgraph_server(seed: SkillSet) -> None:
    builder = build_graph(seed)
    assert isinstance(builder, StateGraph)
    assert builder.compile().checkpointer is None


def test_plan_schema_only_accepts_the_skills_step_ids(seed: SkillSet) -> None:
    schemas = build_schemas(seed.skill, list(STEPS))
    schemas.plan.model_validate({"steps": [{"id": "triage", "goal": "g"}]})
    with pytest.raises(ValidationError):
        schemas.plan.model_validate({"steps": [{"id": "reboot-everything", "goal": "g"}]})


def test_ambiguity_reports_must_name_a_declared_trigger(seed: SkillSet) -> None:
    schemas = build_schemas(seed.skill, list(STEPS))
    with pytest.raises(ValidationError):
        schemas.step.model_validate({"summary": "s", "ambiguities": [{"trigger": "made-up"}]})


async def test_a_server_factory_builds_its_skill_without_a_checkpointer() -> None:
    graph = await skill_graph("incident-response")()
    assert graph.checkpointer is None
    assert "triage" in graph.get_graph().nodes


def test_mermaid_of_the_seed_matches_the_snapshot(
    seed: SkillSet, snapshot: SnapshotAssertion
) -> None:
    assert compile_skill(seed).get_graph().draw_mermaid() == snapshot


def test_each_step_schema_names_the_outputs_and_the_facts_it_owes(seed: SkillSet) -> None:
    from agent.graph.compile import _policy_for
    from agent.graph.guard_rules import owed_facts

    owed = owed_facts(_policy_for(seed.skill, None))
    assert "severity" in owed["severity-classification"]
    schemas = build_schemas(seed.skill, list(STEPS), owed)
    fields = schemas.step_for("severity-classification").model_json_schema()
    named = fields["$defs"][next(k for k in fields["$defs"] if k.startswith("Fields_"))]
    assert {"severity", "timeline", "mitigation", "postmortem"} <= set(named["properties"])
    assert {"severity", "incident_commander"} <= set(named["properties"])
    assert named.get("additionalProperties") is True  # other fields stay allowed


def test_a_step_that_names_no_fields_keeps_the_open_schema(seed: SkillSet) -> None:
    bare = seed.skill.model_copy(update={"outputs": []})
    schemas = build_schemas(bare, list(STEPS), {})
    assert schemas.step_for("triage") is schemas.step
