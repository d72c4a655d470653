"""The web inbox: server-rendered pages over the same hub and views as the API.

Pages are Jinja2 templates with autoescaping on; the only HTML inserted unescaped
is markdown that :mod:`agent.http.render` sanitized. Forms post back here and
redirect (no JavaScript needed to answer); one small script adds the live timeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from agent.access import Principal
from agent.errors import SkillweaveError
from agent.http.auth import COOKIE, checked_token, require_operator
from agent.http.deps import caller, hub_of
from agent.http.runs import RunHub, status_of
from agent.http.views import age, pending_questions, run_view

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_ENV.filters["age"] = age

Caller = Annotated[Principal, Depends(caller)]
Hub = Annotated[RunHub, Depends(hub_of)]
router = APIRouter(include_in_schema=False)


def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A rendered template as a response."""
    return HTMLResponse(_ENV.get_template(name).render(**context), status_code=status_code)


def error_page(request: Request, code: int, detail: str) -> HTMLResponse:
    """The inbox's page for an error (the message is escaped like everything else)."""
    return page("error.html", code, code=code, detail=detail, who=None)


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
async def login_form(request: Request, hub: Hub) -> Response:
    """The sign-in form (straight to the inbox when the server needs no token)."""
    if hub.settings.tokens is None:
        return RedirectResponse("/", status_code=303)
    return page("login.html", next=_safe_next(request.query_params.get("next")), who=None)


@router.post("/login")
async def login(request: Request, hub: Hub) -> Response:
    """Check the token and keep it in an HttpOnly cookie; it never shows up in a page or URL."""
    form = await _form(request)
    book = hub.settings.tokens
    target = _safe_next(form.get("next"))
    token = form.get("token", "").strip()
    if book is None:
        return RedirectResponse("/", status_code=303)
    if checked_token(request, book, token) is None:
        return page("login.html", 401, next=target, error="That token is not valid.", who=None)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
        max_age=12 * 3600,
    )
    return response


@router.post("/logout")
async def logout(_: Caller) -> Response:
    """Forget the cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
async def home(who: Caller, hub: Hub) -> Response:
    """Pending questions across the caller's runs, then the latest runs."""
    return await _home(who, hub)


async def _home(
    who: Principal, hub: Hub, status_code: int = 200, error: str | None = None
) -> HTMLResponse:
    questions = await pending_questions(hub, who)
    runs = await hub.runs(who, limit=30)
    return page(
        "inbox.html",
        status_code,
        error=error,
        skills=hub.library().names(),
        models=hub.settings.offered_models(),
        questions=questions,
        runs=runs,
        busy={r.thread_id for r in runs if hub.busy(r.thread_id)},
        who=who,
        signed_in=hub.settings.tokens is not None,
    )


async def _run_page(
    who: Principal, hub: Hub, thread_id: str, status_code: int = 200, error: str | None = None
) -> HTMLResponse:
    await hub.info(thread_id, who)
    view = await run_view(hub, thread_id)
    return page(
        "run.html",
        status_code,
        **view,
        who=who,
        error=error,
        signed_in=hub.settings.tokens is not None,
    )


@router.post("/runs")
async def start_form(request: Request, who: Caller, hub: Hub) -> Response:
    """Start a run from the inbox's form: inputs as JSON, optional evidence, an offered model."""
    require_operator(who)
    form = await _form(request)
    try:
        inputs = json.loads(form.get("inputs") or "{}")
        if not isinstance(inputs, dict):
            raise ValueError
    except ValueError:
        return await _home(who, hub, 422, "Inputs must be a JSON object.")
    try:
        result = await hub.start(
            who,
            form.get("skill", ""),
            inputs,
            evidence=form.get("evidence") or None,
            model=form.get("model") or None,
        )
    except SkillweaveError as exc:
        return await _home(who, hub, status_of(exc), str(exc))
    return RedirectResponse(f"/runs/{result.thread_id}", status_code=303)


@router.get("/runs/{thread_id}")
async def run_detail(thread_id: str, who: Caller, hub: Hub) -> Response:
    """One run: plan, live timeline, questions, verdicts, actions, outputs, audit chain."""
    return await _run_page(who, hub, thread_id)


@router.post("/runs/{thread_id}/answers")
async def answer_form(thread_id: str, request: Request, who: Caller, hub: Hub) -> Response:
    """Answer from the form: the choice button pressed, with any free text as the reason."""
    require_operator(who)
    await hub.info(thread_id, who)
    form = await _form(request)
    question = form.get("question", "")
    text = " — ".join(
        p for p in (form.get("choice", "").strip(), form.get("text", "").strip()) if p
    )
    if not question or not text:
        return await _run_page(who, hub, thread_id, 422, "Pick a choice or write an answer.")
    try:
        await hub.answer(who, thread_id, {question: text}, wait=0.2)
    except SkillweaveError as exc:
        return await _run_page(who, hub, thread_id, status_of(exc), str(exc))
    return RedirectResponse(f"/runs/{thread_id}", status_code=303)
