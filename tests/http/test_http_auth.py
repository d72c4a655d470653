"""Bearer tokens: who may read, who may act, and whose runs each caller sees."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from web_helpers import INCIDENT, SEV2, TOKENS, client_for, start_incident

from agent.http import ServerSettings, create_app


async def test_without_a_token_the_api_is_401(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/runs")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_wrong_token_is_401(app: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": "Bearer not-a-known-token-at-all"},
    ) as client:
        assert (await client.get("/api/questions")).status_code == 401


async def test_without_a_tokens_file_every_caller_is_a_local_operator(tmp_path: Any) -> None:
    app = create_app(ServerSettings(db=f"sqlite:///{tmp_path / 'r.sqlite'}", data_dir=tmp_path))
    async with client_for(app, None) as client:
        assert (await client.get("/api/runs")).status_code == 200


async def test_a_viewer_cannot_start_a_run(vic: httpx.AsyncClient) -> None:
    assert (await vic.post("/api/runs", json=INCIDENT)).status_code == 403


async def test_a_viewer_cannot_answer(dana: httpx.AsyncClient, vic: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    response = await vic.post(
        f"/api/runs/{run['thread_id']}/answers", json={"answers": {"q1": SEV2}}
    )
    assert response.status_code == 403


async def test_a_viewer_of_the_team_reads_the_run(
    dana: httpx.AsyncClient, vic: httpx.AsyncClient
) -> None:
    run = await start_incident(dana)
    assert (await vic.get(f"/api/runs/{run['thread_id']}")).status_code == 200


async def test_a_team_mate_sees_and_answers_the_run(
    dana: httpx.AsyncClient, erin: httpx.AsyncClient
) -> None:
    run = await start_incident(dana)
    assert [q["thread_id"] for q in (await erin.get("/api/questions")).json()] == [run["thread_id"]]
    response = await erin.post(
        f"/api/runs/{run['thread_id']}/answers", json={"answers": {"q1": SEV2}}
    )
    assert response.status_code == 200
    transcript = (await erin.get(f"/api/runs/{run['thread_id']}/transcript")).json()
    assert transcript["answers"][0]["by"] == "erin"


@pytest.mark.parametrize(
    "path", ["", "/transcript", "/events"], ids=["status", "transcript", "events"]
)
async def test_another_teams_run_is_404(
    dana: httpx.AsyncClient, omar: httpx.AsyncClient, path: str
) -> None:
    run = await start_incident(dana)
    assert (await omar.get(f"/api/runs/{run['thread_id']}{path}")).status_code == 404


async def test_another_teams_run_cannot_be_answered(
    dana: httpx.AsyncClient, omar: httpx.AsyncClient
) -> None:
    run = await start_incident(dana)
    response = await omar.post(
        f"/api/runs/{run['thread_id']}/answers", json={"answers": {"q1": SEV2}}
    )
    assert response.status_code == 404


async def test_another_teams_runs_and_questions_are_not_listed(
    dana: httpx.AsyncClient, omar: httpx.AsyncClient
) -> None:
    await start_incident(dana)
    assert (await omar.get("/api/runs")).json() == []
    assert (await omar.get("/api/questions")).json() == []


async def test_tokens_never_reach_the_logs(
    dana: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run = await start_incident(dana)
    await dana.post(f"/api/runs/{run['thread_id']}/answers", json={"answers": {"q1": SEV2}})
    assert TOKENS["dana"][0] not in caplog.text


async def test_tokens_never_reach_the_transcript(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    await dana.post(f"/api/runs/{run['thread_id']}/answers", json={"answers": {"q1": SEV2}})
    transcript = await dana.get(f"/api/runs/{run['thread_id']}/transcript")
    assert TOKENS["dana"][0] not in transcript.text
