"""The web inbox and HTTP API: one ASGI app over the run engine, served by ``skillweave serve``.

The routes are thin: every run is started, answered and read through
:mod:`agent.engine.api`; this package adds authentication, visibility, the fan-out
of live events to browsers and the server-rendered pages.
"""

from agent.http.app import create_app
from agent.http.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
