"""Streamable HTTP on loopback: bearer tokens, transport security, runs kept to their owner."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_support import RUN_ARGS, SEVERITY_NOTE, Human, structured, text

from agent.access import load_tokens
from agent.cli import main
from agent.mcp import ServerConfig, build_server, http_app

TOKENS = {
    "dana": "dana-operator-token-0001",
    "pat": "pat-operator-token-00004",
    "eve": "eve-operator-token-00002",
    "vic": "vic-viewer-token-0000003",
}
TOKENS_YAML = f"""
- {{token: {TOKENS["dana"]}, principal: dana, role: operator, team: payments}}
- {{token: {TOKENS["pat"]}, principal: pat, role: operator, team: payments}}
- {{token: {TOKENS["eve"]}, principal: eve, role: operator}}
- {{token: {TOKENS["vic"]}, principal: vic, role: viewer}}
"""
WRONG = "not-a-known-token-at-all"

Connect = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    """dana and pat (operators, team payments), eve (operator, no team) and vic (viewer)."""
    path = tmp_path / "tokens.yaml"
    path.write_text(TOKENS_YAML, encoding="utf-8")
    return path


@pytest.fixture
async def url(config: ServerConfig, tokens_file: Path) -> AsyncIterator[str]:
    """A real uvicorn serving the MCP app on a free loopback port."""
    secured = replace(config, tokens=load_tokens(tokens_file))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections wait in the backlog until uvicorn has started: no polling
    port = sock.getsockname()[1]
    app = http_app(build_server(secured), secured, host="127.0.0.1", port=port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    await serving


def _client(url: str, token: str, **kwargs: object) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
    return Client(streamable_http_client(url, http_client=http), **kwargs)  # type: ignore[arg-type]


async def test_a_good_token_runs_a_skill_through_its_questions_to_the_end(url: str) -> None:
    async with _client(url, TOKENS["dana"], elicitation_callback=Human()) as client:
        result = await client.call_tool("run_skill", RUN_ARGS)
    assert structured(result)["status"] == "completed"


@pytest.mark.parametrize("header", [f"Bearer {WRONG}", "", f"Basic {TOKENS['dana']}"])
async def test_a_request_without_a_known_bearer_token_gets_401(url: str, header: str) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            url,
            headers={"Authorization": header, "Content-Type": "application/json"},
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert WRONG not in response.text
    assert TOKENS["dana"] not in response.text


async def test_an_address_that_guessed_ten_tokens_is_refused_even_a_good_one(url: str) -> None:
    async def post(token: str) -> httpx2.Response:
        return await http.post(
            url,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        )

    async with httpx2.AsyncClient() as http:
        assert [(await post(f"{WRONG}-{i}")).status_code for i in range(10)] == [401] * 10
        refused = await post(TOKENS["dana"])
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0


async def test_a_host_header_the_server_does_not_answer_to_is_refused(url: str) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            url,
            headers={
                "Authorization": f"Bearer {TOKENS['dana']}",
                "Host": "evil.example",
                "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream",
            },
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        )
    assert response.status_code == 421


async def test_another_principals_run_is_not_found(url: str) -> None:
    async with _client(url, TOKENS["dana"]) as dana:
        thread_id = structured(await dana.call_tool("run_skill", RUN_ARGS))["thread_id"]
    async with _client(url, TOKENS["eve"]) as eve:
        read = await eve.call_tool("get_run", {"thread_id": thread_id})
        answer = await eve.call_tool(
            "answer_run", {"thread_id": thread_id, "answers": {"q1": "SEV3"}}
        )
        listed = structured(await eve.call_tool("list_runs", {}))["runs"]
    assert read.is_error
    assert "no run with thread id" in text(read)
    assert answer.is_error
    assert "no run with thread id" in text(answer)
    assert listed == []


async def test_a_teammate_may_read_and_answer_the_run(url: str) -> None:
    async with _client(url, TOKENS["dana"]) as dana:
        thread_id = structured(await dana.call_tool("run_skill", RUN_ARGS))["thread_id"]
    async with _client(url, TOKENS["pat"]) as pat:
        read = structured(await pat.call_tool("get_run", {"thread_id": thread_id}))
        answered = structured(
            await pat.call_tool(
                "answer_run",
                {"thread_id": thread_id, "answers": {"q1": f"SEV2 — {SEVERITY_NOTE}"}},
            )
        )
    assert read["status"] == "paused"
    assert answered["questions"][0]["kind"] == "approval"


async def test_a_viewer_can_read_but_not_start_runs(url: str) -> None:
    async with _client(url, TOKENS["vic"]) as vic:
        started = await vic.call_tool("run_skill", RUN_ARGS)
        skills = await vic.call_tool("list_skills", {})
    assert started.is_error
    assert "viewer" in text(started)
    assert not skills.is_error


async def test_tokens_never_reach_results_or_logs(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with _client(url, TOKENS["dana"]) as dana:
        result = await dana.call_tool("run_skill", RUN_ARGS)
        await dana.call_tool("answer_run", {"thread_id": "nope", "answers": {"q1": "x"}})
    async with httpx2.AsyncClient() as http:
        await http.post(url, headers={"Authorization": f"Bearer {WRONG}"}, json={})
    assert TOKENS["dana"] not in result.model_dump_json()
    assert caplog.records  # the server did log: the check below has something to look at
    assert TOKENS["dana"] not in caplog.text
    assert WRONG not in caplog.text


def test_the_cli_refuses_to_listen_beyond_loopback_without_tokens(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKILLWEAVE_TOKENS_FILE", raising=False)
    assert main(["mcp", "--http", "0.0.0.0:8765", "--model", "scripted:x.yaml"]) == 2
    assert "without a tokens file" in capsys.readouterr().err
