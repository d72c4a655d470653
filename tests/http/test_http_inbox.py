"""The web inbox: sign-in by cookie, questions with answer buttons, run pages rendered safely."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from web_helpers import HOSTILE, SEV2, TOKENS, start_incident

from agent.http.auth import COOKIE
from agent.http.render import markdown_html


def browser(app: Any) -> httpx.AsyncClient:
    """A client like a browser: no Authorization header, cookies kept, same-origin forms."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Origin": "http://testserver"},
    )


async def sign_in(client: httpx.AsyncClient, name: str) -> httpx.Response:
    """Post the login form with ``name``'s token."""
    return await client.post("/login", data={"token": TOKENS[name][0], "next": "/"})


async def test_the_inbox_sends_a_caller_without_a_token_to_the_login_form(app: Any) -> None:
    async with browser(app) as client:
        response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_signing_in_sets_an_httponly_strict_cookie(app: Any) -> None:
    async with browser(app) as client:
        response = await sign_in(client, "dana")
    cookie = response.headers["set-cookie"]
    assert response.status_code == 303
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


async def test_a_wrong_token_shows_the_form_again_with_401(app: Any) -> None:
    async with browser(app) as client:
        response = await client.post("/login", data={"token": "guess-guess-guess-guess"})
    assert response.status_code == 401
    assert "not valid" in response.text


async def test_no_page_shows_the_token_after_sign_in(app: Any, dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    async with browser(app) as client:
        await sign_in(client, "dana")
        pages = [await client.get("/"), await client.get(f"/runs/{run['thread_id']}")]
    assert all(p.status_code == 200 for p in pages)
    assert all(TOKENS["dana"][0] not in p.text for p in pages)


async def test_the_inbox_lists_a_pending_question_with_its_choices_as_buttons(
    app: Any, dana: httpx.AsyncClient
) -> None:
    await start_incident(dana)
    async with browser(app) as client:
        await sign_in(client, "dana")
        page = (await client.get("/")).text
    assert "Classify as SEV2 or SEV3?" in page
    assert 'name="choice" value="SEV2"' in page
    assert 'name="choice" value="SEV3"' in page
    assert "severity-classification" in page


async def test_a_viewer_sees_questions_without_answer_forms(
    app: Any, dana: httpx.AsyncClient
) -> None:
    await start_incident(dana)
    async with browser(app) as client:
        await sign_in(client, "vic")
        page = (await client.get("/")).text
    assert "Classify as SEV2 or SEV3?" in page
    assert 'name="choice"' not in page


async def test_answering_by_form_records_the_choice_and_reason_by_the_signed_in_caller(
    app: Any, dana: httpx.AsyncClient
) -> None:
    run = await start_incident(dana)
    tid, qid = run["thread_id"], run["questions"][0]["id"]
    async with browser(app) as client:
        await sign_in(client, "erin")
        response = await client.post(
            f"/runs/{tid}/answers",
            data={"question": qid, "choice": "SEV2", "text": "payments are a major feature"},
        )
    assert response.status_code == 303
    await app.state.hub.close()
    answers = (await dana.get(f"/api/runs/{tid}/transcript")).json()["answers"]
    assert [(a["text"], a["by"]) for a in answers] == [(SEV2, "erin")]


async def test_a_form_from_another_site_is_refused(app: Any, dana: httpx.AsyncClient) -> None:
    run = await start_incident(dana)
    async with browser(app) as client:
        await sign_in(client, "dana")
        response = await client.post(
            f"/runs/{run['thread_id']}/answers",
            data={"question": "q1", "choice": "SEV2"},
            headers={"Origin": "https://evil.example"},
        )
    assert response.status_code == 403


async def _run_page_after(app: Any, dana: httpx.AsyncClient, approval: object) -> str:
    """The run page, as dana sees it, once she answered SEV2 and then the approval."""
    tid = (await start_incident(dana))["thread_id"]
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q1": SEV2}})
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q2": approval}})
    async with browser(app) as client:
        await sign_in(client, "dana")
        return (await client.get(f"/runs/{tid}")).text


async def test_the_run_page_shows_plan_actions_outputs_and_an_intact_audit_chain(
    app: Any, dana: httpx.AsyncClient
) -> None:
    page = await _run_page_after(app, dana, "approve")
    assert "<code>triage</code>" in page
    assert "approved by dana; nothing was changed (no webhook confirmed it)" in page
    assert "proposed only: nothing was changed" in page
    assert "<h2>Incident Postmortem — Checkout payments failing</h2>" in page
    assert 'class="chain ok"' in page


async def test_the_run_page_still_lists_an_action_the_reviewer_rejected(
    app: Any, dana: httpx.AsyncClient
) -> None:
    decisions = {"decisions": [{"type": "reject", "message": "<b>not</b> during the sale"}]}
    page = await _run_page_after(app, dana, decisions)
    assert "roll back checkout to v2.13.2" in page
    assert "rejected by dana (&lt;b&gt;not&lt;/b&gt; during the sale): nothing was changed" in page


async def test_every_page_carries_a_strict_content_security_policy(app: Any) -> None:
    async with browser(app) as client:
        response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "img-src 'self'" in csp


async def test_model_markup_on_the_run_page_is_inert(app: Any, dana: httpx.AsyncClient) -> None:
    run = (await dana.post("/api/runs", json=HOSTILE)).json()
    assert run["status"] == "completed"
    async with browser(app) as client:
        await sign_in(client, "dana")
        page = (await client.get(f"/runs/{run['thread_id']}")).text
    assert "<strong>bold</strong>" in page
    assert re.search(r"<script(?! src=\"/static/)", page) is None
    assert re.search(r"<[^>]+\son\w+=", page) is None
    assert re.search(r"<a\s[^>]*href=\"javascript", page) is None
    assert "<img" not in page


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("![x](https://evil.example/p.png)", "<img"),
        ("[x](javascript:alert(1))", 'href="javascript'),
        ('<a href="#" onclick="x()">y</a>', "<a "),
    ],
)
def test_the_markdown_renderer_drops_active_content(markdown: str, forbidden: str) -> None:
    assert forbidden not in markdown_html(markdown)


def test_links_in_markdown_are_kept_but_do_not_pass_on_the_referrer() -> None:
    html = markdown_html("[runbook](https://runbooks.example/checkout)")
    assert 'href="https://runbooks.example/checkout"' in html
    assert "noreferrer" in html


async def test_an_operator_starts_a_run_from_the_inbox_form(app: Any) -> None:
    async with browser(app) as client:
        await sign_in(client, "dana")
        response = await client.post(
            "/runs",
            data={
                "skill": HOSTILE["skill"],
                "inputs": json.dumps(HOSTILE["inputs"]),
                "model": HOSTILE["model"],
            },
        )
        assert response.status_code == 303
        page = await client.get(response.headers["location"])
    assert "<strong>bold</strong>" in page.text


async def test_inputs_that_are_not_a_json_object_are_refused_on_the_page(app: Any) -> None:
    async with browser(app) as client:
        await sign_in(client, "dana")
        response = await client.post("/runs", data={"skill": "hostile-note", "inputs": "[1]"})
    assert response.status_code == 422
    assert "Inputs must be a JSON object." in response.text


async def test_a_choice_outside_the_options_shows_the_error_on_the_run_page(
    app: Any, dana: httpx.AsyncClient
) -> None:
    run = await start_incident(dana)
    async with browser(app) as client:
        await sign_in(client, "dana")
        response = await client.post(
            f"/runs/{run['thread_id']}/answers",
            data={"question": run["questions"][0]["id"], "text": "SEV9"},
        )
    assert response.status_code == 422
    assert "is not one of the choices" in response.text


async def test_an_action_waiting_for_approval_is_shown_as_proposed_and_unchanged(
    app: Any, dana: httpx.AsyncClient
) -> None:
    run = await start_incident(dana)
    tid = run["thread_id"]
    await dana.post(f"/api/runs/{tid}/answers", json={"answers": {"q1": SEV2}})
    async with browser(app) as client:
        await sign_in(client, "dana")
        page = (await client.get(f"/runs/{tid}")).text
    row = re.search(r'<tr class="action proposed">.*?</tr>', page, re.S)
    assert row is not None
    assert "rollback-deploy" in row.group(0)
    assert "waiting for approval: nothing was changed" in row.group(0)
