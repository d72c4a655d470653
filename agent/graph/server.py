"""Graph factory for LangGraph Server (``langgraph dev``), which brings its own persistence.

Point ``langgraph.json`` at ``./agent/graph/server.py:make_graph``. The skill and
model come from the run's ``configurable`` (``skill``, ``model``) or from
``SKILLWEAVE_SKILL`` / ``SKILLWEAVE_MODEL``; the graph is compiled without a
checkpointer because the server refuses graphs that carry their own.
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from agent.graph.compile import compile_skill
from agent.graph.state import RunState
from agent.llm.spec import build_model
from agent.skill.library import Library, default_skill_paths

DEFAULT_SKILL = "incident-response"


def make_graph(config: RunnableConfig | None = None) -> CompiledStateGraph[RunState]:
    """The checkpointer-free graph of the configured skill and model."""
    configurable: dict[str, Any] = dict((config or {}).get("configurable", {}))
    skill = str(configurable.get("skill") or os.environ.get("SKILLWEAVE_SKILL") or DEFAULT_SKILL)
    model = build_model(configurable.get("model"))
    skillset = Library(default_skill_paths()).resolve(skill)
    return compile_skill(skillset, model)
