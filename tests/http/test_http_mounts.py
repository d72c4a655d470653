"""Other front doors (the MCP server) mount beside the API in the same app."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.types import Receive, Scope, Send

from agent.http import ServerSettings, create_app


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"mounted"})


async def test_a_mounted_asgi_app_answers_under_its_path(tmp_path: Path) -> None:
    app = create_app(
        ServerSettings(db=f"sqlite:///{tmp_path / 'r.sqlite'}", data_dir=tmp_path),
        mounts={"/mcp": _hello},
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.get("/mcp/")
    assert response.text == "mounted"
    assert "content-security-policy" in response.headers
