"""The ASGI app: API, inbox, static files, security headers and error mapping in one place.

Errors map by who has to act: an unknown run or skill is 404, a run that is not
waiting (or is being advanced) 409, an unknown question or a value outside the
choices 422, any other caller mistake 422, a model fault 502. The API answers in
JSON (``{detail}``), the inbox with a small page.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.engine.deadlines import keep_clocks
from agent.errors import SkillweaveError
from agent.http import api_routes, inbox
from agent.http.auth import NotSignedIn
from agent.http.runs import RunHub, status_of
from agent.http.settings import ServerSettings

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""No inline script or style, nothing from another origin: model text cannot run or phone home."""
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make forms send Origin: null
    (b"x-frame-options", b"DENY"),
]
STATIC = Path(__file__).with_name("static")


class SecurityHeaders:
    """Adds the CSP and friends to every response, streamed ones too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap ``send`` so the response start carries the headers."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def _allowed(app: FastAPI, scope: Scope) -> list[str]:
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches({**scope, "method": next(iter(route.methods))})
            if match is Match.FULL:
                methods |= route.methods
    return sorted(methods)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json"


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel a background task and wait until it has stopped."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_app(
    settings: ServerSettings | None = None,
    *,
    mounts: Mapping[str, ASGIApp] | None = None,
    lifespans: Sequence[Callable[[], AbstractAsyncContextManager[Any]]] = (),
) -> FastAPI:
    """The server's app; ``mounts`` adds other ASGI apps by path (``{"/mcp": app}``).

    A mounted app's own lifespan does not run under FastAPI, so ``lifespans`` are
    entered for the server's life (the MCP endpoint's session manager is one).
    """
    settings = settings or ServerSettings()
    hub = RunHub(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for enter in lifespans:
                await stack.enter_async_context(enter())
            # The embedded engine's clocks: paused runs' deadlines apply while we serve.
            clocks = asyncio.create_task(
                keep_clocks(
                    db=settings.db,
                    data_dir=settings.data_dir,
                    poll_seconds=settings.clock_seconds,
                    on_event=hub.publish,
                )
            )
            stack.push_async_callback(_stopped, clocks)
            yield
        await hub.close()

    app = FastAPI(
        title="skillweave",
        summary="Start, watch and answer skill runs.",
        version="1",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hub = hub

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": "a valid bearer token is required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(SkillweaveError)
    async def engine_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SkillweaveError)
        code = status_of(exc)
        detail = str(exc) if code != 500 else "internal error"
        if _wants_json(request):
            return JSONResponse({"detail": detail}, status_code=code)
        return inbox.error_page(request, code, detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors: list[dict[str, Any]] = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return JSONResponse(
            {"detail": f"{where}: {first['msg']}", "errors": errors}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette lists only the first matching route's methods; list them all.
            headers["Allow"] = ", ".join(_allowed(app, request.scope))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    app.include_router(api_routes.router)
    app.include_router(inbox.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for path, sub in (mounts or {}).items():
        app.mount(path, sub)
    app.add_middleware(SecurityHeaders)
    return app
