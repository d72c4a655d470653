"""FastAPI dependencies every route shares: the run hub and the authenticated caller."""

from __future__ import annotations

from fastapi import Request

from agent.access import Principal
from agent.http.auth import principal_of
from agent.http.runs import RunHub


def hub_of(request: Request) -> RunHub:
    """The app's one :class:`RunHub`."""
    hub: RunHub = request.app.state.hub
    return hub


def caller(request: Request) -> Principal:
    """The authenticated caller (401 for the API, the login page for the inbox)."""
    return principal_of(request, hub_of(request).settings.tokens)
