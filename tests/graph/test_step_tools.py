"""Per-step tools: each step is offered what its policy or its text names, the rest on request."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.tools import BaseTool, tool

from agent.engine import api
from agent.graph.step_tools import MORE_TOOLS, tools_for
from agent.llm.base import ModelRequest, ModelResponse, T
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet
from agent.skill.model import MicroSkill
from agent.skill.policy import Policy, parse_policy, policy_problems

Script = dict[str, list[dict[str, Any]]]


def _tools() -> list[BaseTool]:
    @tool
    def search_logs(text: str) -> str:
        """Search the logs."""
        return json.dumps({"items": [f"log line about {text}"]})

    @tool
    def propose_rollback(service: str) -> str:
        """Propose a rollback."""
        return json.dumps({"action": {"type": "rollback-deploy", "target": service}})

    @tool
    def track_action_item(title: str) -> str:
        """File a follow-up."""
        return "filed"

    return [search_logs, propose_rollback, track_action_item]


def _step(body: str, step_id: str = "triage") -> MicroSkill:
    return MicroSkill(id=step_id, number=1, title="Triage", steps=body, body=body, line=1)


def _names(tools: tuple[BaseTool, ...]) -> list[str]:
    return [t.name for t in tools]


def test_a_step_the_policy_lists_gets_its_tools_and_more_tools_for_the_rest() -> None:
    policy = Policy(step_tools={"triage": ["search_logs"]})
    offered = tools_for(_step("Find the failing component."), policy, _tools())
    assert _names(offered) == ["search_logs", MORE_TOOLS]
    assert "propose_rollback, track_action_item" in offered[1].description


def test_a_tool_named_in_the_micro_skill_text_is_offered() -> None:
    offered = tools_for(_step("1. Call `search_logs` with level=error."), None, _tools())
    assert _names(offered) == ["search_logs", MORE_TOOLS]


def test_a_name_inside_a_longer_word_does_not_count() -> None:
    offered = tools_for(_step("Read the search_logs_v2 output."), None, _tools())
    assert _names(offered) == ["search_logs", "propose_rollback", "track_action_item"]


def test_a_step_that_names_no_tool_keeps_every_tool() -> None:
    policy = Policy(step_tools={"mitigate": ["propose_rollback"]})
    offered = tools_for(_step("Find the failing component."), policy, _tools())
    assert _names(offered) == ["search_logs", "propose_rollback", "track_action_item"]


def test_an_empty_list_offers_only_more_tools() -> None:
    offered = tools_for(_step("Write it up."), Policy(step_tools={"triage": []}), _tools())
    assert _names(offered) == [MORE_TOOLS]


async def test_more_tools_lists_the_others_with_their_arguments_and_runs_one() -> None:
    policy = Policy(step_tools={"triage": ["search_logs"]})
    more = tools_for(_step("x"), policy, _tools())[-1]
    listing = json.loads(await more.ainvoke({}))
    assert [t["name"] for t in listing["tools"]] == ["propose_rollback", "track_action_item"]
    assert "service" in listing["tools"][0]["arguments"]["properties"]
    ran = await more.ainvoke({"name": "propose_rollback", "arguments": {"service": "checkout"}})
    assert json.loads(ran)["action"]["target"] == "checkout"
    unknown = json.loads(await more.ainvoke({"name": "rm_rf"}))
    assert unknown["unknown"] == "rm_rf"


def test_step_tools_naming_an_unknown_step_is_a_policy_problem(seed: SkillSet) -> None:
    policy = parse_policy("step_tools:\n  triage: [search_logs]\n  tirage: [search_logs]\n")
    assert policy_problems(policy, seed.skill) == ["step_tools: unknown step 'tirage'"]


class _Recording:
    """The scripted model, noting which tools each call was offered."""

    def __init__(self, inner: ScriptedModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.offered: dict[str, list[str]] = {}

    async def generate(self, request: ModelRequest[T]) -> ModelResponse[T]:
        self.offered[request.purpose] = [t.name for t in request.tools]
        return await self.inner.generate(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_shipped_policy_offers_each_step_its_tools_and_the_rest_on_request(
    seed: SkillSet, happy: Script, db: str
) -> None:
    happy["step:mitigate"][0]["tool_calls"] = [
        {"name": MORE_TOOLS, "args": {"name": "search_logs", "arguments": {"text": "5xx"}}}
    ]
    model = _Recording(ScriptedModel(happy))
    done = await api.start(seed, {"alert": "5xx"}, model=model, db=db, tools=_tools())
    assert done.status == "completed", done.failure
    assert model.offered["step:triage"] == ["search_logs", MORE_TOOLS]
    assert model.offered["step:mitigate"] == ["propose_rollback", MORE_TOOLS]
    assert model.offered["step:postmortem"] == ["track_action_item", MORE_TOOLS]
    doc = (await api.export_transcript(done.thread_id, db=db)).model_dump()
    mitigate = next(s for s in doc["steps"] if s["id"] == "mitigate")
    assert mitigate["tool_calls"][0]["name"] == MORE_TOOLS
    assert "log line about 5xx" in mitigate["tool_calls"][0]["result"]
