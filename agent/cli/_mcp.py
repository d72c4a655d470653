"""``skillweave mcp``: serve the skills and runs to AI assistants over MCP (stdio or HTTP).

The MCP SDK is imported only when the command runs, so other commands start
without it. On stdio the protocol owns stdout: everything this command says
goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys

from agent.cli._common import DEMO_HINT, EXIT_OK
from agent.errors import ConfigError, UserError


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a host and a port."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"--http {value!r}: use HOST:PORT, e.g. 127.0.0.1:8765")
    return host, int(port)


def _model(spec: str | None) -> str | None:
    from agent.llm.spec import parse_spec

    if spec is None and not os.environ.get("SKILLWEAVE_MODEL"):
        print(
            "skillweave mcp: no model: run_skill fails until --model or SKILLWEAVE_MODEL names "
            f"one. {DEMO_HINT}",
            file=sys.stderr,
        )
        return None
    try:
        parse_spec(spec)
    except ConfigError as exc:
        raise ConfigError(f"{exc} {DEMO_HINT}") from None
    return spec


def run_mcp(args: argparse.Namespace) -> int:
    """Serve until the client hangs up (stdio) or the process is stopped (HTTP)."""
    import anyio

    from agent.access import tokens_from
    from agent.mcp import ServerConfig, build_server, http_app
    from agent.mcp.auth import is_loopback

    listen = parse_listen(args.http) if args.http else None
    tokens = tokens_from(args.tokens) if listen else None
    if listen and tokens is None and not is_loopback(listen[0]):
        raise UserError(
            f"refusing to listen on {listen[0]} without a tokens file: pass --tokens FILE "
            "(or set SKILLWEAVE_TOKENS_FILE), or listen on 127.0.0.1"
        )
    for directory in [*args.skills_dir, *args.evidence_root]:
        if not directory.is_dir():
            raise UserError(f"{directory}: no such directory")
    config = ServerConfig(
        model=_model(args.model),
        db=args.db,
        skill_paths=tuple(args.skills_dir),
        evidence_roots=tuple(args.evidence_root),
        tokens=tokens,
    )
    server = build_server(config)
    if listen is None:
        anyio.run(server.run_stdio_async)
        return EXIT_OK
    import uvicorn

    host, port = listen
    app = http_app(server, config, host=host, port=port, extra_hosts=tuple(args.allow_host))
    who = f"{len(tokens)} token(s)" if tokens is not None else f"local user {config.local.name}"
    print(f"skillweave mcp: serving http://{host}:{port}/mcp ({who})", file=sys.stderr)
    uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    ).run()
    return EXIT_OK
