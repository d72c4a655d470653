"""Skills as MCP content: prompts, skill:// resources, and the skills extension (SEP-2640)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from mcp import Client, types
from mcp.shared.exceptions import MCPError
from mcp_support import ROOT
from pydantic import TypeAdapter

from agent.mcp import ServerConfig, build_server
from agent.mcp.skills import SKILLS_EXTENSION

SKILL_MD = ROOT / "skills" / "incident-response" / "SKILL.md"


async def _call(client: Client, method: str, params: dict[str, Any]) -> dict[str, Any]:
    request = types.Request[dict[str, Any], str](method=method, params=params)
    return await client.session.send_request(request, TypeAdapter(dict[str, Any]))


async def test_each_skill_is_a_prompt_that_asks_for_run_skill(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        rendered = await client.get_prompt("incident-response", {"input": "checkout 5xx"})
    assert "incident-response" in prompts
    assert [a.name for a in prompts["incident-response"].arguments or []] == ["input"]
    message = rendered.messages[0].content
    assert isinstance(message, types.TextContent)
    assert "run_skill" in message.text
    assert "checkout 5xx" in message.text


async def test_a_prompt_takes_the_skills_inputs_table_as_arguments(
    config: ServerConfig, tmp_path: Any
) -> None:
    folder = tmp_path / "skills" / "greet"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(
        "---\nname: greet\ndescription: Say hello.\n---\n\n# Greet\n\n## Inputs\n\n"
        "| Name | Type | Required | Description |\n|---|---|---|---|\n"
        "| person | string | yes | who to greet |\n| tone | string | no | how |\n",
        encoding="utf-8",
    )
    server = build_server(ServerConfig(db=config.db, skill_paths=(tmp_path / "skills",)))
    async with Client(server) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    arguments = prompts["greet"].arguments or []
    assert [(a.name, a.required) for a in arguments] == [("person", True), ("tone", False)]


async def test_a_skill_file_reads_as_a_plain_resource(config: ServerConfig) -> None:
    async with Client(build_server(config), mode="legacy") as client:
        listed = {r.uri: r for r in (await client.list_resources()).resources}
        read = await client.read_resource("skill://incident-response/SKILL.md")
    entry = listed["skill://incident-response/SKILL.md"]
    assert entry.mime_type == "text/markdown"
    assert entry.name == "incident-response"
    (content,) = read.contents
    assert isinstance(content, types.TextResourceContents)
    assert content.text == SKILL_MD.read_text(encoding="utf-8")


async def test_the_server_declares_the_skills_extension(config: ServerConfig) -> None:
    async with Client(build_server(config)) as client:
        capabilities = client.server_capabilities
    assert capabilities.extensions is not None
    assert SKILLS_EXTENSION in capabilities.extensions
    assert capabilities.resources is not None


async def test_skills_list_gives_frontmatter_and_a_digest_for_every_file(
    config: ServerConfig,
) -> None:
    async with Client(build_server(config)) as client:
        listing = await _call(client, "skills/list", {})
    entry = next(s for s in listing["skills"] if s["uri"] == "skill://incident-response/SKILL.md")
    assert entry["frontmatter"]["name"] == "incident-response"
    assert entry["frontmatter"]["dependencies"] == ["constitution", "scratchpad", "auditor"]
    files = {r["uri"]: r for r in entry["resources"]}
    assert set(files) == {
        "skill://incident-response/SKILL.md",
        "skill://incident-response/policy.yaml",
        "skill://incident-response/scorers.yaml",
    }
    data = SKILL_MD.read_bytes()
    main = files["skill://incident-response/SKILL.md"]
    assert main["digest"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert main["size"] == len(data)
    assert listing["ttlMs"] > 0


async def test_skills_get_returns_one_entry_and_refuses_an_unknown_uri(
    config: ServerConfig,
) -> None:
    async with Client(build_server(config)) as client:
        got = await _call(client, "skills/get", {"uri": "skill://auditor/SKILL.md"})
        with pytest.raises(MCPError) as refused:
            await _call(client, "skills/get", {"uri": "skill://nope/SKILL.md"})
    assert got["skill"]["frontmatter"]["name"] == "auditor"
    assert refused.value.code == types.INVALID_PARAMS
