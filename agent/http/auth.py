"""Who is calling: a bearer token from the ``Authorization`` header or the login cookie.

The browser inbox signs in once through a form; the token then lives only in an
HttpOnly, SameSite=Strict cookie, never in a page or a URL. Requests that change
something and ride on the cookie must also come from this origin (``Origin``
header), so another site cannot submit forms on the caller's behalf.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from agent.access import Principal, TokenBook

COOKIE = "skillweave_session"
LOCAL = Principal("local", "operator")
"""The caller when no tokens file is configured (the server then listens on loopback only)."""

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class NotSignedIn(Exception):
    """No valid token came with the request; the API says 401, the inbox shows the login form."""


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def principal_of(request: Request, book: TokenBook | None) -> Principal:
    """The authenticated caller; raises :class:`NotSignedIn`, 403 for a cross-site form,
    or 429 for an address that presented too many wrong tokens."""
    if book is None:
        return LOCAL
    token = _bearer(request)
    if token is None:
        token = request.cookies.get(COOKIE)
        if token is not None and request.method in _UNSAFE and not _same_origin(request):
            raise HTTPException(403, "cross-site request refused")
    principal = checked_token(request, book, token)
    if principal is None:
        raise NotSignedIn
    return principal


def checked_token(request: Request, book: TokenBook, token: str | None) -> Principal | None:
    """The token's principal, counting a wrong one against the caller's address (429 when
    that address already guessed too often)."""
    address = request.client.host if request.client else ""
    wait = book.guard.retry_after(address)
    if wait:
        raise HTTPException(
            429, "too many wrong tokens from this address", headers={"Retry-After": str(wait)}
        )
    principal = book.principal_for(token)
    if principal is None and token:
        book.guard.failed(address)
    return principal


def require_operator(principal: Principal) -> None:
    """Viewers read; only operators start and answer runs (403 otherwise)."""
    if not principal.can_act:
        raise HTTPException(403, f"{principal.name} is a viewer: reading only")
