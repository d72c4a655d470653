"""``skillweave serve``: the HTTP API, the web inbox and the MCP endpoint in one process.

FastAPI, uvicorn and the MCP SDK are imported only when the command runs, so the
rest of the CLI starts fast.
"""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

from agent.cli._common import EXIT_OK
from agent.errors import ConfigError


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_serve(args: argparse.Namespace) -> int:
    """Check the listening address against the tokens, then serve until interrupted."""
    from agent.access import tokens_from

    tokens = tokens_from(args.tokens)
    if tokens is None and not is_loopback(args.host):
        raise ConfigError(
            f"refusing to listen on {args.host} without a tokens file: pass --tokens FILE "
            "(or set SKILLWEAVE_TOKENS_FILE), or listen on 127.0.0.1"
        )
    import uvicorn

    from agent.http import ServerSettings, create_app

    settings = ServerSettings(
        db=args.db,
        tokens=tokens,
        model=args.model,
        models=tuple(args.allow_model),
        evidence_roots=tuple(args.evidence_root),
        skill_paths=tuple(args.skills_dir),
    )
    mcp, enter = _mcp_endpoint(args, tokens)
    hub = _temporal_hub(args, settings) if args.engine else None
    lifespans = [enter] if hub is None else [enter, hub.running]
    app = create_app(settings, mounts={"/mcp": mcp}, lifespans=lifespans)
    if hub is not None:
        app.state.hub = hub  # starts and answers go to the Temporal workers
    auth = f"{len(tokens)} token(s)" if tokens is not None else "no tokens (loopback only)"
    print(
        f"skillweave: serving http://{args.host}:{args.port}/ (inbox, API) and /mcp with {auth}",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return EXIT_OK


def _temporal_hub(args: argparse.Namespace, settings: Any) -> Any:
    """The hub that hands the server's runs to Temporal workers (``--engine temporal://``)."""
    from agent.cli._worker import temporal_required

    with temporal_required():
        from agent.temporal.hub import TemporalHub
        from agent.temporal.messages import parse_engine
    return TemporalHub(settings, parse_engine(args.engine), args.task_queue)


def _mcp_endpoint(args: argparse.Namespace, tokens: Any) -> tuple[Any, Any]:
    """The MCP streamable-HTTP app for ``/mcp`` and the session manager it must run under.

    One process serves assistants and humans with the same principals and run database.
    """
    from agent.mcp import ServerConfig, build_server, http_app

    config = ServerConfig(
        model=args.model,
        db=args.db,
        skill_paths=tuple(args.skills_dir),
        evidence_roots=tuple(args.evidence_root),
        tokens=tokens,
    )
    server = build_server(config)
    app = http_app(server, config, host=args.host, port=args.port, path="/")
    return app, server.session_manager.run
