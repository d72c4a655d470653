"""Live progress: show a run's audit events as each graph node finishes.

The run API returns only when a run stops, so the CLI listens to LangGraph's
node callbacks instead: every node returns its new audit log, and whatever
the operator has not seen yet is printed at once. The handler reaches the
graph through a LangChain configure hook (a context variable), so the run API
needs no progress parameter; events missed here are still shown after the
call from the checkpointed log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.tracers.context import register_configure_hook
from langgraph.types import Command

Show = Callable[[list[dict[str, Any]]], None]
"""Receives the run's whole audit log so far and prints what is new."""

_FEED: ContextVar[AuditFeed | None] = ContextVar("skillweave_audit_feed", default=None)
register_configure_hook(_FEED, inheritable=True)


class AuditFeed(AsyncCallbackHandler):
    """Hands the audit log of every top-level node that finishes to ``show``."""

    def __init__(self, show: Show) -> None:
        self._show = show
        self._nodes: set[UUID] = set()

    async def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: dict[str, Any] | Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the runs that are graph nodes of the run itself (not of subgraphs)."""
        meta = metadata or {}
        top_level = "|" not in str(meta.get("langgraph_checkpoint_ns", ""))
        if top_level and meta.get("langgraph_node") == kwargs.get("name"):
            self._nodes.add(run_id)

    async def on_chain_end(
        self,
        outputs: dict[str, Any] | Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Show the audit log a finished node wrote (nodes return the whole log)."""
        if run_id not in self._nodes:
            return
        self._nodes.discard(run_id)
        update = outputs.update if isinstance(outputs, Command) else outputs
        log = update.get("audit_log") if isinstance(update, dict) else None
        if isinstance(log, list):
            self._show(log)


@contextmanager
def feeding(show: Show) -> Iterator[None]:
    """Within this block, every graph run in this context reports its nodes to ``show``."""
    token = _FEED.set(AuditFeed(show))
    try:
        yield
    finally:
        _FEED.reset(token)
