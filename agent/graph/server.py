"""Graph factory for LangGraph Server (``langgraph dev``), which brings its own persistence.

Point ``langgraph.json`` at ``./agent/graph/server.py:make_graph``. The skill comes
from the run's ``configurable.skill`` or ``SKILLWEAVE_SKILL``; the model from
``SKILLWEAVE_MODEL`` (the nodes build it when the run brings no context). The
graph is the cached checkpointer-free one, because the server refuses graphs that
carry their own checkpointer.
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from agent.errors import ConfigError
from agent.graph.compile import RunContext, compile_skill
from agent.graph.state import RunState
from agent.skill.library import Library, default_skill_paths


def make_graph(config: RunnableConfig | None = None) -> CompiledStateGraph[RunState, RunContext]:
    """The checkpointer-free graph of the configured skill."""
    configurable: dict[str, Any] = dict((config or {}).get("configurable", {}))
    skill = str(configurable.get("skill") or os.environ.get("SKILLWEAVE_SKILL") or "")
    if not skill:
        raise ConfigError("no skill configured: set SKILLWEAVE_SKILL or configurable.skill")
    return compile_skill(Library(default_skill_paths()).resolve(skill))
