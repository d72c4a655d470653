"""Deadlines at the web front door, and ``serve``'s clock keeper applying one for real."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from test_http_inbox import browser, sign_in
from web_helpers import EXAMPLE, SCRIPTED, start_incident

from agent.engine import api
from agent.graph._context import parse_iso
from agent.http import ServerSettings, create_app
from agent.http.sse import run_stream
from agent.skill.library import Library
from agent.skill.policy import DeadlineRule, load_policy

SKILLS = Path(__file__).resolve().parents[2] / "skills"


async def test_a_started_run_shows_its_question_deadline_in_the_api(
    dana: httpx.AsyncClient,
) -> None:
    started = await start_incident(dana)
    deadline = started["questions"][0]["deadline"]
    assert deadline is not None
    shown = (await dana.get(f"/api/runs/{started['thread_id']}")).json()
    assert shown["questions"][0]["deadline"] == deadline
    pending = (await dana.get("/api/questions")).json()
    assert [q["deadline"] for q in pending] == [deadline]


async def test_the_inbox_and_the_run_page_show_answer_by(app: Any, dana: httpx.AsyncClient) -> None:
    started = await start_incident(dana)
    deadline = started["questions"][0]["deadline"]
    async with browser(app) as client:
        await sign_in(client, "dana")
        pages = [(await client.get(p)).text for p in ("/", f"/runs/{started['thread_id']}")]
    assert all(f"answer by {deadline}" in html for html in pages)


async def _event_names(app: Any, thread_id: str) -> list[str]:
    """The event names the run's stream sends a client that then leaves (the run is paused)."""

    async def gone() -> bool:
        return True

    return [
        line.removeprefix("event: ")
        async for frame in run_stream(app.state.hub, thread_id, -1, gone)
        for line in frame.splitlines()
        if line.startswith("event: ")
    ]


async def test_serve_applies_a_real_one_second_deadline_and_stops_on_shutdown(
    tmp_path: Path,
) -> None:
    seed = Library([SKILLS]).resolve("incident-response")
    shipped = load_policy(SKILLS / "incident-response")
    assert shipped is not None
    rules = [
        r.model_copy(update={"within": "1s"}) if isinstance(r, DeadlineRule) else r
        for r in shipped.rules
    ]
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    paused = await api.start(
        seed,
        {"incident": "checkout 5xx"},
        model=SCRIPTED,
        evidence=EXAMPLE,
        db=db,
        data_dir=tmp_path,
        policy=shipped.model_copy(update={"rules": rules}),
    )
    assert paused.status == "paused"
    due = parse_iso(paused.questions[0]["deadline"])
    app = create_app(ServerSettings(db=db, data_dir=tmp_path, clock_seconds=0.2))
    async with app.router.lifespan_context(app):
        for _ in range(40):  # up to 4 s for a 1 s deadline on a loaded machine
            status = await api.get_status(paused.thread_id, db=db, data_dir=tmp_path)
            if status.timers:
                break
            await asyncio.sleep(0.1)
        streamed = await _event_names(app, paused.thread_id)
    assert "deadline" in streamed  # the live view says so too
    [applied] = [t for t in status.timers if t["kind"] == "deadline"]
    assert applied["rule_id"] == "classify-within-five-minutes"
    assert parse_iso(applied["at"]) >= due
    keepers = [t for t in asyncio.all_tasks() if "keep_clocks" in repr(t.get_coro())]
    assert keepers == []
