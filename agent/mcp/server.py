"""Build the skillweave MCP server: tools, prompts, skill resources, and how it is served.

:func:`build_server` gives one :class:`~mcp.server.mcpserver.MCPServer` that the
stdio transport, the streamable HTTP app (:func:`http_app`, which the web inbox
mounts too) and in-process test clients all share. Request state of input
rounds is sealed by the SDK, bound to the caller, and expires after
``request_state_ttl``; a round answered after that gets the run's paused view
instead of a protocol error, since the run itself waits in the run database.
"""

from __future__ import annotations

import secrets
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.request_state import RequestStateSecurity
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from starlette.types import ASGIApp

from agent.engine import api
from agent.errors import SkillweaveError
from agent.mcp.auth import BearerAuth, principal_from_headers
from agent.mcp.config import ServerConfig
from agent.mcp.questions import split_key
from agent.mcp.results import run_text, run_view, tool_result
from agent.mcp.skills import SkillsExtension, catalog, prompt_for
from agent.mcp.tools import EXPIRED, register_tools, visible_run
from agent.skill.library import Library, default_skill_paths

SERVER_NAME = "skillweave"
INSTRUCTIONS = (
    "skillweave runs SKILL.md skills as durable agents. list_skills / describe_skill show what "
    "can run; run_skill starts a run and drives it; when it needs a human decision it asks "
    "through you (or returns status 'paused' with its questions); answer_run continues a paused "
    "run at any later time, from any session; get_run and list_runs read runs."
)
_DRIVING_TOOLS = frozenset({"run_skill", "answer_run"})


def build_server(config: ServerConfig) -> MCPServer[Any]:
    """The server for ``config``: six tools, one prompt per skill, the skills extension."""
    library = Library(default_skill_paths(config.skill_paths))
    skills = catalog(library)

    def bind_principal(ctx: ServerRequestContext[Any, Any]) -> str | None:
        # Sealed request state only opens for the principal it was minted for.
        who = principal_from_headers(_headers(ctx), config.tokens, config.local)
        return who.name if who is not None else None

    server: MCPServer[Any] = MCPServer(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        extensions=[SkillsExtension(skills)],
        request_state_security=RequestStateSecurity(
            keys=[secrets.token_bytes(32)],
            ttl=config.request_state_ttl,
            bind_principal=bind_principal,
        ),
    )
    # Outermost, so it sees the SDK's own rejection of an expired round.
    server.middleware.insert(0, _LateAnswers(config))
    register_tools(server, config)
    for entry in skills.values():
        server.add_prompt(prompt_for(entry))
    return server


def _headers(ctx: ServerRequestContext[Any, Any]) -> Any:
    return getattr(ctx.request, "headers", None)


class _LateAnswers:
    """Middleware: a question round answered after its state expired gets the paused run."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """Pass everything on; turn an expired round of a driving tool into the run's view."""
        try:
            return await call_next(ctx)
        except MCPError as exc:
            late = await self._paused_view(ctx, exc)
            if late is None:
                raise
            return late

    async def _paused_view(
        self, ctx: ServerRequestContext[Any, Any], exc: MCPError
    ) -> HandlerResult | None:
        params = ctx.params or {}
        data = exc.data if isinstance(exc.data, dict) else {}
        if (
            ctx.method != "tools/call"
            or data.get("reason") != "invalid_request_state"
            or params.get("name") not in _DRIVING_TOOLS
        ):
            return None
        responses = params.get("inputResponses") or {}
        keys = [split_key(str(k)) for k in responses] if isinstance(responses, dict) else []
        thread_id = next((k[0] for k in keys if k is not None), None)
        who = principal_from_headers(_headers(ctx), self.config.tokens, self.config.local)
        if thread_id is None or who is None:
            return None
        try:
            skill = await visible_run(self.config, thread_id, who)
            status = await api.get_status(
                thread_id, db=self.config.db, data_dir=self.config.data_dir
            )
        except SkillweaveError:
            return None
        view = run_view(status, skill)
        return tool_result(view, run_text(view, EXPIRED))


def transport_security(
    host: str, port: int, extra_hosts: tuple[str, ...] = ()
) -> TransportSecuritySettings:
    """DNS-rebinding protection: the Host and Origin values this server answers to."""
    names = {host, "127.0.0.1", "localhost", *extra_hosts}
    hosts = sorted({*(f"{n}:{port}" for n in names), *names})
    origins = sorted({f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")})
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def http_app(
    server: MCPServer[Any],
    config: ServerConfig,
    *,
    host: str,
    port: int,
    extra_hosts: tuple[str, ...] = (),
    path: str = "/mcp",
) -> ASGIApp:
    """The streamable HTTP app at ``path``, behind the bearer check when there is a token book."""
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=path,
        transport_security=transport_security(host, port, extra_hosts),
        host=host,
    )
    return BearerAuth(app, config.tokens) if config.tokens is not None else app
