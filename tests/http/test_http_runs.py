"""The HTTP API drives the engine: start, list, answer and read runs."""

from __future__ import annotations

import asyncio

import httpx
from web_helpers import INCIDENT, SEV2, start_incident


async def test_the_skills_are_listed_with_their_descriptions(dana: httpx.AsyncClient) -> None:
    response = await dana.get("/api/skills")
    assert response.status_code == 200
    names = {s["name"]: s for s in response.json()}
    assert "incident-response" in names
    assert names["incident-response"]["description"]


async def test_a_skill_shows_its_inputs_outputs_and_steps(dana: httpx.AsyncClient) -> None:
    body = (await dana.get("/api/skills/incident-response")).json()
    assert "postmortem" in {o["name"] for o in body["outputs"]}
    assert body["micro_skills"]


async def test_an_unknown_skill_is_404(dana: httpx.AsyncClient) -> None:
    assert (await dana.get("/api/skills/no-such-skill")).status_code == 404


async def test_starting_a_run_returns_201_with_its_first_question(
    dana: httpx.AsyncClient,
) -> None:
    body = await start_incident(dana)
    assert body["status"] == "paused"
    assert body["questions"][0]["options"] == ["SEV2", "SEV3"]


async def test_starting_an_unknown_skill_is_404(dana: httpx.AsyncClient) -> None:
    response = await dana.post("/api/runs", json={**INCIDENT, "skill": "nope"})
    assert response.status_code == 404


async def test_starting_without_any_model_is_422(dana: httpx.AsyncClient) -> None:
    body = {k: v for k, v in INCIDENT.items() if k != "model"}
    response = await dana.post("/api/runs", json=body)
    assert response.status_code == 422
    assert "model" in response.json()["detail"]


async def test_paused_runs_are_listed_by_status(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    paused = (await dana.get("/api/runs", params={"status": "paused"})).json()
    completed = (await dana.get("/api/runs", params={"status": "completed"})).json()
    assert [r["thread_id"] for r in paused] == [run["thread_id"]]
    assert completed == []


async def test_answering_both_questions_completes_the_run_with_a_postmortem(
    dana: httpx.AsyncClient,
) -> None:
    run = await start_incident(dana)
    tid = run["thread_id"]
    first = await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q1": SEV2}})
    assert first.status_code == 200, first.text
    assert first.json()["questions"][0]["kind"] == "approval"
    second = await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q2": "approve"}})
    assert second.json()["status"] == "completed"
    assert second.json()["outputs"]["postmortem"].startswith("## Incident Postmortem")


async def test_an_answer_records_who_gave_it(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    tid = run["thread_id"]
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q1": SEV2}})
    transcript = (await dana.get(f"/api/runs/{tid}/transcript")).json()
    assert [(a["text"], a["by"]) for a in transcript["answers"]] == [(SEV2, "dana")]


async def test_a_run_shows_where_it_stands(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    body = (await dana.get(f"/api/runs/{run['thread_id']}")).json()
    assert body["status"] == "paused"
    assert body["questions"][0]["alias"] == "q1"


async def test_an_unknown_run_is_404(dana: httpx.AsyncClient) -> None:
    assert (await dana.get("/api/runs/nope")).status_code == 404
    assert (await dana.get("/api/runs/nope/transcript")).status_code == 404


async def test_an_unknown_question_id_is_422(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    response = await dana.post(
        f"/api/runs/{run['thread_id']}/answers", json={"answers": {"no-such-question": "x"}}
    )
    assert response.status_code == 422


async def test_a_value_outside_the_choices_is_422(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    response = await dana.post(
        f"/api/runs/{run['thread_id']}/answers", json={"answers": {"q1": "SEV9"}}
    )
    assert response.status_code == 422
    assert "SEV2" in response.json()["detail"]


async def test_answering_a_question_already_answered_is_409(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    url = f"/api/runs/{run['thread_id']}/answers"
    await dana.post(url, json={"answers": {"q1": SEV2}})
    again = await dana.post(url, json={"answers": {"q1": "SEV3"}})
    assert again.status_code == 409


async def test_answering_a_finished_run_is_409(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    url = f"/api/runs/{run['thread_id']}/answers"
    await dana.post(url, json={"answers": {"q1": SEV2}})
    await dana.post(url, json={"answers": {"q2": "approve"}})
    assert (await dana.post(url, json={"answers": {"q2": "reject"}})).status_code == 409


async def test_of_two_concurrent_answers_exactly_one_wins(
    dana: httpx.AsyncClient, erin: httpx.AsyncClient
) -> None:
    run = await start_incident(dana)
    url = f"/api/runs/{run['thread_id']}/answers"
    responses = await asyncio.gather(
        dana.post(url, json={"answers": {"q1": SEV2}}),
        erin.post(url, json={"answers": {"q1": "SEV3 — only one region"}}),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]


async def test_pending_questions_are_listed_across_runs(dana: httpx.AsyncClient) -> None:
    first = await start_incident(dana)
    second = await start_incident(dana)
    questions = (await dana.get("/api/questions")).json()
    assert {q["thread_id"] for q in questions} == {first["thread_id"], second["thread_id"]}
    assert all(q["skill"] == "incident-response" and q["asked_at"] for q in questions)


async def test_a_malformed_body_is_422_with_a_message(dana: httpx.AsyncClient) -> None:
    response = await dana.post("/api/runs", json={"inputs": {}})
    assert response.status_code == 422
    assert "skill" in response.json()["detail"]


async def test_the_openapi_document_lists_the_api(dana: httpx.AsyncClient) -> None:
    paths = (await dana.get("/openapi.json")).json()["paths"]
    assert {"/api/runs", "/api/runs/{thread_id}/answers", "/api/questions"} <= set(paths)
    assert "/" not in paths


async def test_an_approval_takes_hitl_decisions_recorded_as_the_caller(
    dana: httpx.AsyncClient,
) -> None:
    run = await start_incident(dana)
    tid = run["thread_id"]
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q1": SEV2}})
    decisions = {"decisions": [{"type": "reject", "message": "not during the sale"}]}
    second = await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q2": decisions}})
    assert second.status_code == 200, second.text
    transcript = (await dana.get(f"/api/runs/{tid}/transcript")).json()
    rejected = transcript["answers"][-1]
    assert (rejected["decision"], rejected["message"], rejected["by"]) == (
        "reject",
        "not during the sale",
        "dana",
    )
    (refused,) = transcript["rejected_actions"]
    assert (refused["type"], refused["rejected_by"], refused["reason"]) == (
        "rollback-deploy",
        "dana",
        "not during the sale",
    )


async def test_the_transcript_says_what_became_of_each_accepted_action(
    dana: httpx.AsyncClient,
) -> None:
    tid = (await start_incident(dana))["thread_id"]
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q1": SEV2}})
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q2": "approve"}})
    transcript = (await dana.get(f"/api/runs/{tid}/transcript")).json()
    decided = {a["type"]: (a["status"], a.get("decided_by")) for a in transcript["actions"]}
    assert decided["rollback-deploy"] == ("approved", "dana")
    assert decided["status-update"] == ("recorded", None)
    assert transcript["rejected_actions"] == []


async def test_decisions_for_a_clarifying_question_are_422(dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    decisions = {"decisions": [{"type": "approve"}]}
    response = await dana.post(
        f"/api/runs/{run['thread_id']}/answers", json={"answers": {"q1": decisions}}
    )
    assert response.status_code == 422
    assert "not an approval" in response.json()["detail"]
