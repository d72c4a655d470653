"""Over a real socket: a paused run's stream stays open, and a reconnect gets what it missed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from web_helpers import INCIDENT, SEV2, TOKENS

from agent.http import ServerSettings, create_app

AUTH = {"Authorization": f"Bearer {TOKENS['dana'][0]}"}


@pytest.fixture
def live(settings: ServerSettings) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread of this process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _read_until_status(response: httpx.Response) -> list[tuple[str | None, str]]:
    """(id, event) of each frame up to and including the first status frame."""
    frames: list[tuple[str | None, str]] = []
    current: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if "event" in current:
                frames.append((current.get("id"), current["event"]))
                if current["event"] == "status":
                    return frames
            current = {}
        elif not line.startswith(":") and ": " in line:
            key, value = line.split(": ", 1)
            current[key] = value
    return frames


def test_a_reconnect_with_last_event_id_gets_only_what_it_missed(live: str) -> None:
    with httpx.Client(base_url=live, headers=AUTH, timeout=30) as client:
        run: dict[str, Any] = client.post("/api/runs", json=INCIDENT).json()
        url = f"/api/runs/{run['thread_id']}/events"
        with client.stream("GET", url) as first:
            seen = _read_until_status(first)
        last = [i for i, _ in seen if i is not None][-1]
        assert seen[-1][1] == "status"
        client.post(f"/api/runs/{run['thread_id']}/answers", json={"answers": {"q1": SEV2}})
        with client.stream("GET", url, headers={"Last-Event-ID": last}) as again:
            missed = _read_until_status(again)
    ids = [int(i) for i, _ in missed if i is not None]
    assert ids
    assert min(ids) > int(last)
    assert "answer" in [e for _, e in missed]
    assert "question" in [e for _, e in missed]  # the approval asked after the answer
