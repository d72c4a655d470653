"""``skillweave serve``: the HTTP API and the web inbox in one process.

FastAPI and uvicorn are imported only when the command runs, so the rest of the
CLI starts fast and works without the ``web`` extra installed.
"""

from __future__ import annotations

import argparse
import ipaddress

from agent.cli._common import EXIT_OK
from agent.errors import ConfigError, UserError


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
    try:
        import uvicorn

        from agent.http import ServerSettings, create_app
    except ImportError as exc:
        raise UserError(
            f"serve needs the web extra ({exc.name} is missing): pip install 'skillweave[web]'"
        ) from None
    settings = ServerSettings(
        db=args.db, tokens=tokens, model=args.model, skill_paths=tuple(args.skills_dir)
    )
    auth = f"{len(tokens)} token(s)" if tokens is not None else "no tokens (loopback only)"
    print(f"skillweave: serving http://{args.host}:{args.port}/ with {auth}", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return EXIT_OK
