"""skillweave as an MCP server: the engine's runs, questions and skills for AI assistants.

The front door is thin: every tool drives :mod:`agent.engine.api`. What this
package adds is the protocol: questions a paused run asks cross MCP (input
requests on 2026-07-28 sessions, elicitation on older ones), progress and
verdicts reach the client as notifications, skills are prompts and resources
(with the ``io.modelcontextprotocol/skills`` extension), and the HTTP transport
checks bearer tokens. Import :func:`build_server` from here; the SDK is only
imported when this package is.
"""

from agent.mcp.config import ServerConfig
from agent.mcp.server import build_server, http_app

__all__ = ["ServerConfig", "build_server", "http_app"]
