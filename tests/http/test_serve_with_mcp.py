"""One ``skillweave serve`` process serves humans (API, inbox) and assistants (MCP at /mcp)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from support.processes import free_port, wait_until_up

REPO = Path(__file__).resolve().parents[2]
TOKEN = "dana-operator-token-for-serve-0001"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A real ``skillweave serve`` on a free loopback port with one operator token."""
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(f"- {{token: {TOKEN}, principal: dana, role: operator}}\n", "utf-8")
    port = free_port()
    example = REPO / "examples" / "incidents" / "checkout-deploy-spike"
    env = {**os.environ, "SKILLWEAVE_HOME": str(tmp_path / "home")}
    command = [
        str(Path(sys.executable).with_name("skillweave")),
        "serve",
        "--port",
        str(port),
        "--tokens",
        str(tokens),
        "--model",
        f"scripted:{example / 'script.yaml'}",
    ]
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(
            f"{url}/openapi.json", process, seconds=10, log=tmp_path / "serve.log", answers=bool
        )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert TOKEN not in (tmp_path / "serve.log").read_text()


@pytest.mark.slow
async def test_the_api_and_the_mcp_endpoint_answer_on_one_port_with_one_token(served: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx2.AsyncClient(timeout=10) as plain:
        skills = await plain.get(f"{served}/api/skills", headers=headers)
        refused = await plain.post(f"{served}/mcp/", json={})
    assert skills.status_code == 200
    assert "incident-response" in skills.text
    assert refused.status_code == 401
    http = httpx2.AsyncClient(headers=headers)
    async with Client(streamable_http_client(f"{served}/mcp/", http_client=http)) as client:  # type: ignore[arg-type]
        tools = {t.name for t in (await client.list_tools()).tools}
    assert {"run_skill", "answer_run", "list_runs"} <= tools
