"""Who is calling: bearer tokens on HTTP, the local user on stdio.

The HTTP app is wrapped in :class:`BearerAuth`, which answers 401 before the MCP
layer sees a request without a known token. Tools then read the principal from
the request's own ``Authorization`` header, looked up again in the token book,
so identity never rides on state shared between requests. Tokens are never
logged, echoed or put in a result.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from agent.access import Principal, TokenBook


def local_principal() -> Principal:
    """The principal of a stdio server (or a tokenless loopback one): the OS user, as operator."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "local"
    return Principal(name=name, role="operator")


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerAuth:
    """ASGI middleware: HTTP requests without a token from the book get 401, nothing else."""

    def __init__(self, app: ASGIApp, book: TokenBook) -> None:
        self.app = app
        self.book = book

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass lifespan and authorised requests on; refuse the rest."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        address = str((scope.get("client") or ("",))[0])
        wait = self.book.guard.retry_after(address)
        if wait:
            await _refuse(send, 429, "too many wrong tokens from this address", wait)
            return
        token = bearer_token(headers)
        if self.book.principal_for(token) is None:
            if token:
                self.book.guard.failed(address)
            await _refuse(send, 401, "a valid bearer token is required")
            return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, description: str, retry_after: int = 0) -> None:
    error = "unauthorized" if status == 401 else "too_many_requests"
    body = json.dumps({"error": error, "error_description": description}).encode()
    head: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        head.append((b"www-authenticate", b'Bearer realm="skillweave"'))
    if retry_after:
        head.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


def principal_from_headers(
    headers: Mapping[str, Any] | None, book: TokenBook | None, local: Principal
) -> Principal | None:
    """The caller of one request: the token's principal on HTTP, else the local one.

    Without a token book (stdio, in-process, tokenless loopback HTTP) every caller
    is ``local``; with one, a request without a known token has no principal.
    """
    if book is None:
        return local
    if headers is None:
        return local
    return book.principal_for(bearer_token({str(k): str(v) for k, v in headers.items()}))
