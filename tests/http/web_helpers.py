"""Constants and helpers the web tests share (a plain module: conftest is for fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"
SCRIPTED = f"scripted:{EXAMPLE / 'script.yaml'}"
TOKENS = {
    "dana": ("dana-operator-token-0001", "operator", "payments"),
    "erin": ("erin-operator-token-0002", "operator", "payments"),
    "omar": ("omar-operator-token-0003", "operator", "search"),
    "vic": ("vic-viewer-token-00000004", "viewer", "payments"),
}
INCIDENT = {
    "skill": "incident-response",
    "inputs": {"incident": "checkout 5xx"},
    "evidence": str(EXAMPLE),
    "model": SCRIPTED,
}
SEV2 = "SEV2 — payments are a major feature"


def client_for(app: Any, name: str | None) -> httpx.AsyncClient:
    """A client speaking to the app in-process, with ``name``'s bearer token (None: none)."""
    headers = {"Authorization": f"Bearer {TOKENS[name][0]}"} if name else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


async def start_incident(client: httpx.AsyncClient) -> dict[str, Any]:
    """Start the scripted incident run; it pauses at the SEV2/SEV3 question."""
    response = await client.post("/api/runs", json=INCIDENT)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


HOSTILE_SKILLS = Path(__file__).with_name("skills")
HOSTILE = {
    "skill": "hostile-note",
    "inputs": {"topic": "x"},
    "model": f"scripted:{HOSTILE_SKILLS / 'hostile-note' / 'script.yaml'}",
}
