"""Server-sent events: the run's events as it goes, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from web_helpers import SEV2, start_incident


def parse(stream: str) -> list[dict[str, Any]]:
    """The SSE frames of a finished stream: id (or None), event name and JSON data."""
    frames = []
    for block in stream.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "event" in fields:
            frames.append(
                {
                    "id": int(fields["id"]) if "id" in fields else None,
                    "event": fields["event"],
                    "data": json.loads(fields["data"]),
                }
            )
    return frames


async def _finished_run(client: httpx.AsyncClient) -> str:
    run = await start_incident(client)
    url = f"/api/runs/{run['thread_id']}/answers"
    await client.post(url, json={"answers": {"q1": SEV2}})
    await client.post(url, json={"answers": {"q2": "approve"}})
    return str(run["thread_id"])


async def test_a_finished_run_streams_its_events_and_ends_with_its_status(
    dana: httpx.AsyncClient,
) -> None:
    tid = await _finished_run(dana)
    response = await dana.get(f"/api/runs/{tid}/events")
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = parse(response.text)
    kinds = [f["event"] for f in frames]
    assert {"plan", "step_finished", "question", "answer", "verdict"} <= set(kinds)
    assert kinds[-1] == "status"
    assert frames[-1]["data"]["status"] == "completed"


async def test_event_ids_are_the_audit_logs_seq_numbers_in_order(
    dana: httpx.AsyncClient,
) -> None:
    tid = await _finished_run(dana)
    frames = parse((await dana.get(f"/api/runs/{tid}/events")).text)
    ids = [f["id"] for f in frames if f["id"] is not None]
    assert ids == sorted(set(ids))
    assert all(f["data"]["seq"] == f["id"] for f in frames if f["id"] is not None)


async def test_last_event_id_resumes_after_that_event(dana: httpx.AsyncClient) -> None:
    tid = await _finished_run(dana)
    every = parse((await dana.get(f"/api/runs/{tid}/events")).text)
    ids = [f["id"] for f in every if f["id"] is not None]
    cut = ids[len(ids) // 2]
    rest = parse(
        (await dana.get(f"/api/runs/{tid}/events", headers={"Last-Event-ID": str(cut)})).text
    )
    assert [f["id"] for f in rest if f["id"] is not None] == [i for i in ids if i > cut]


async def test_a_subscriber_sees_the_run_advance_live_after_an_answer(
    dana: httpx.AsyncClient,
) -> None:
    run = await start_incident(dana)
    tid = run["thread_id"]
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q1": SEV2}})
    listening = asyncio.create_task(dana.get(f"/api/runs/{tid}/events"))
    await asyncio.sleep(0.3)
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q2": "approve"}})
    frames = parse((await asyncio.wait_for(listening, 30)).text)
    kinds = [f["event"] for f in frames]
    assert "tool_called" in kinds  # live-only events reach a subscriber as they happen
    assert [f["data"]["status"] for f in frames if f["event"] == "status"] == [
        "paused",
        "completed",
    ]
