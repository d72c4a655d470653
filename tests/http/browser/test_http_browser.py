"""A person in Chromium: signs in, answers from the inbox, watches the run finish live."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import OPERATOR_TOKEN, REPO

pytestmark = pytest.mark.browser
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"
SKILLS = REPO / "tests" / "http" / "skills"


def start(server: str, body: dict[str, Any]) -> dict[str, Any]:
    """Start a run through the API, as a script or another tool would."""
    response = httpx.post(
        f"{server}/api/runs",
        json=body,
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def signed_in_page(browser: Any, server: str) -> Any:
    """A new page in a new context, signed in through the login form."""
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.goto(f"{server}/")
    page.fill("#token", OPERATOR_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    return page


def test_an_incident_started_and_answered_in_the_inbox_completes_live(
    server: str, browser: Any, shots: Path
) -> None:
    page = signed_in_page(browser, server)
    form = page.locator("form.start")
    form.locator("select[name=skill]").select_option("incident-response")
    form.locator("textarea[name=inputs]").fill('{"incident": "checkout 5xx"}')
    form.locator("input[name=evidence]").fill(str(EXAMPLE))
    form.locator("select[name=model]").select_option(f"scripted:{EXAMPLE / 'script.yaml'}")
    page.screenshot(path=str(shots / "00-inbox-start-form.png"), full_page=True)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    page.goto(f"{server}/")
    question = page.locator("article.question", has_text="Classify as SEV2 or SEV3?")
    question.wait_for()
    assert "Classify as SEV2 or SEV3?" in question.inner_text()
    assert OPERATOR_TOKEN not in page.content()
    page.screenshot(path=str(shots / "01-inbox-question.png"), full_page=True)

    question.locator("input[name=text]").fill("payments are a major feature")
    question.locator("button[value=SEV2]").click()
    page.wait_for_url(re.compile(r"/runs/"))
    approval = page.locator("article.question button[value=approve]")
    approval.wait_for(timeout=30_000)
    page.screenshot(path=str(shots / "02-run-approval.png"), full_page=True)

    approval.click()
    page.wait_for_selector("#run-status.completed", timeout=30_000)
    postmortem = page.locator("article[data-output=postmortem] .markdown h2")
    postmortem.wait_for()
    assert postmortem.inner_text() == "Incident Postmortem — Checkout payments failing"
    assert page.locator("#timeline li").count() > 5
    assert "approved by dana" in page.locator("tr.action.approved").first.inner_text()
    assert "intact" in page.locator("#chain").inner_text()
    page.screenshot(path=str(shots / "03-run-completed.png"), full_page=True)


def test_model_markup_renders_inert_in_the_browser(server: str, browser: Any, shots: Path) -> None:
    run = start(
        server,
        {
            "skill": "hostile-note",
            "inputs": {"topic": "x"},
            "model": f"scripted:{SKILLS / 'hostile-note' / 'script.yaml'}",
        },
    )
    page = signed_in_page(browser, server)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/runs/{run['thread_id']}")
    page.wait_for_selector("#timeline li")
    note = page.locator("article[data-output=note] .markdown")
    assert "<script>" in note.inner_text()  # shown as text, not run
    assert note.locator("img, script, [onerror], [onclick]").count() == 0
    page.wait_for_timeout(500)
    assert page.title() != "pwned"
    assert dialogs == []
    assert not [u for u in requests if not u.startswith(server)]
    page.screenshot(path=str(shots / "04-hostile-output-inert.png"), full_page=True)
