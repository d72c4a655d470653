"""The tools read like the engine: schemas in and out, a bad call is a tool error, not a crash."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from mcp import Client, types
from mcp_support import EXAMPLE, ROOT, RUN_ARGS, SEVERITY_NOTE, structured, text

from agent.mcp import ServerConfig, build_server

SKILL_FILE = ROOT / "skills" / "incident-response" / "SKILL.md"
TOOLS = {"list_skills", "describe_skill", "run_skill", "answer_run", "get_run", "list_runs"}


async def test_every_tool_declares_input_and_output_schemas(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    assert all(t.output_schema for t in tools.values())
    assert tools["run_skill"].input_schema["required"] == ["skill"]
    assert set(tools["answer_run"].input_schema["required"]) == {"thread_id", "answers"}


async def test_list_skills_names_each_skill_with_its_resource(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        skills = structured(await client.call_tool("list_skills", {}))["skills"]
    by_name = {s["name"]: s for s in skills}
    assert by_name["incident-response"]["uri"] == "skill://incident-response/SKILL.md"


async def test_describe_skill_gives_steps_and_outputs(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        info = structured(await client.call_tool("describe_skill", {"name": "incident-response"}))
    assert info["steps"][0] == "severity-classification"
    assert "postmortem" in {o["name"] for o in info["outputs"]}


async def test_get_run_and_list_runs_show_a_paused_run(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        thread_id = structured(await client.call_tool("run_skill", RUN_ARGS))["thread_id"]
        run = structured(await client.call_tool("get_run", {"thread_id": thread_id}))
        paused = structured(await client.call_tool("list_runs", {"status": "paused"}))["runs"]
        completed = structured(await client.call_tool("list_runs", {"status": "completed"}))["runs"]
    assert run["status"] == "paused"
    assert run["questions"][0]["choices"] == ["SEV2", "SEV3"]
    assert [r["thread_id"] for r in paused] == [thread_id]
    assert completed == []


@pytest.mark.parametrize(
    ("tool", "arguments", "says"),
    [
        ("run_skill", {"skill": "no-such-skill", "inputs": {}}, "no-such-skill"),
        ("describe_skill", {"name": "no-such-skill"}, "no-such-skill"),
        ("get_run", {"thread_id": "no-such-thread"}, "no run with thread id"),
        ("answer_run", {"thread_id": "no-such-thread", "answers": {"q1": "x"}}, "no run"),
        ("answer_run", {"thread_id": "t", "answers": "SEV2"}, "answers"),
        ("run_skill", {"skill": "incident-response", "evidence": "/etc"}, "evidence"),
        ("run_skill", {"skill": str(SKILL_FILE), "inputs": {}}, "unknown skill"),
    ],
)
async def test_a_bad_call_is_a_tool_error(
    config: ServerConfig, tool: str, arguments: dict[str, object], says: str
) -> None:
    async with Client(build_server(config)) as client:
        result = await client.call_tool(tool, arguments)
        assert result.is_error
        assert says in text(result)
        # The server is still there for the next call.
        assert not (await client.call_tool("list_skills", {})).is_error


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        ({"q9": "SEV2"}, "unknown question id"),
        ({"q1": "SEV5"}, "not one of the choices"),
    ],
)
async def test_a_wrong_answer_is_a_tool_error_and_the_run_still_waits(
    config: ServerConfig, answers: dict[str, str], says: str
) -> None:
    async with Client(build_server(config)) as client:
        thread_id = structured(await client.call_tool("run_skill", RUN_ARGS))["thread_id"]
        result = await client.call_tool("answer_run", {"thread_id": thread_id, "answers": answers})
        assert result.is_error
        assert says in text(result)
        run = structured(await client.call_tool("get_run", {"thread_id": thread_id}))
    assert run["status"] == "paused"


async def test_answering_a_finished_run_is_a_tool_error(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        thread_id = structured(await client.call_tool("run_skill", RUN_ARGS))["thread_id"]
        for answer in ({"q1": f"SEV2 — {SEVERITY_NOTE}"}, {"q2": "approve"}):
            await client.call_tool("answer_run", {"thread_id": thread_id, "answers": answer})
        result = await client.call_tool(
            "answer_run", {"thread_id": thread_id, "answers": {"q2": "approve"}}
        )
    assert result.is_error
    assert "not waiting" in text(result) or "ended" in text(result)


async def test_a_failed_run_is_a_normal_result_with_its_error(
    config: ServerConfig, tmp_path: Path
) -> None:
    # After the answer the model server fails (a scripted 503): the run fails, resumably.
    script = yaml.safe_load((EXAMPLE / "script.yaml").read_text(encoding="utf-8"))
    script["step:severity-classification"][1] = {"error": {"status": 503, "message": "down"}}
    (tmp_path / "failing.yaml").write_text(yaml.safe_dump(script), encoding="utf-8")
    config = replace(config, model=f"scripted:{tmp_path / 'failing.yaml'}")
    async with Client(build_server(config)) as client:
        thread_id = structured(await client.call_tool("run_skill", RUN_ARGS))["thread_id"]
        result = await client.call_tool(
            "answer_run", {"thread_id": thread_id, "answers": {"q1": "SEV2"}}
        )
    run = structured(result)
    assert run["status"] == "failed"
    assert run["error"]
    assert isinstance(result.content[0], types.TextContent)


async def test_an_approval_takes_hitl_decisions_through_answer_run(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        thread_id = structured(await client.call_tool("run_skill", RUN_ARGS))["thread_id"]
        answer = {"q1": f"SEV2 — {SEVERITY_NOTE}"}
        await client.call_tool("answer_run", {"thread_id": thread_id, "answers": answer})
        decisions = {"decisions": [{"type": "approve"}]}
        result = await client.call_tool(
            "answer_run", {"thread_id": thread_id, "answers": {"q2": decisions}}
        )
    assert not result.is_error, text(result)
    assert structured(result)["status"] == "completed"
