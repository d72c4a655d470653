"""A run a guardrail halts is a normal result, and the client hears of it as a log error."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graph.scripts import incident
from graph.scripts.incident import reply
from mcp import Client, types
from mcp_support import RUN_ARGS, structured

from agent.graph.compile import judge_schedule
from agent.llm.scripted import ScriptedModel
from agent.mcp import ServerConfig, build_server
from agent.skill.library import Library, default_skill_paths


def _judge_blocks() -> ScriptedModel:
    """The seed's happy script, except that the judge blocks the run after its last step."""
    skill = Library(default_skill_paths()).get("incident-response")
    judged = judge_schedule(skill)
    script = incident.happy(skill, judged)
    script["judge:postmortem"] = [reply(incident.judge_blocks(judged["postmortem"]))]
    return ScriptedModel(script)


async def test_a_blocked_run_is_a_result_and_an_error_log_message(config: ServerConfig) -> None:
    logged: list[Any] = []

    async def log(params: types.LoggingMessageNotificationParams) -> None:
        logged.append((params.level, params.data))

    server = build_server(replace(config, model=_judge_blocks()))
    async with Client(server, mode="legacy", logging_callback=log) as client:
        result = await client.call_tool("run_skill", {**RUN_ARGS, "inputs": {"alert": "5xx"}})
    run = structured(result)
    assert run["status"] == "blocked"
    assert any(incident.BLAME in v for v in run["violations"])
    blocked = [d for level, d in logged if level == "error" and d.get("status") == "blocked"]
    assert blocked == [
        {"thread_id": run["thread_id"], "status": "blocked", "violations": run["violations"]}
    ]
