"""A paused run's question deadline reaches an assistant: in the result and in its text."""

from __future__ import annotations

from mcp import Client
from mcp_support import RUN_ARGS, structured, text

from agent.mcp import ServerConfig, build_server
from agent.mcp.questions import form_message


async def test_get_run_shows_the_deadline_in_the_result_and_its_text(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        thread_id = structured(await client.call_tool("run_skill", RUN_ARGS))["thread_id"]
        result = await client.call_tool("get_run", {"thread_id": thread_id})
    deadline = structured(result)["questions"][0]["deadline"]
    assert deadline is not None
    assert f"(answer by {deadline})" in text(result)


def test_the_elicitation_form_names_the_deadline() -> None:
    question = {"id": "q", "text": "SEV2 or SEV3?", "deadline": "2026-03-01T10:05:00.000Z"}
    assert form_message(question).endswith("Answer by 2026-03-01T10:05:00.000Z.")
