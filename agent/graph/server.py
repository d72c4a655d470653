"""Skills on LangGraph Server (`langgraph dev`, the Agent Server), which keeps its own state.

``langgraph.json`` names one factory per skill (:func:`skill_graph`);
``skillweave langgraph-config DIR`` writes it, with the small module that defines
those factories, for any folder of skills. :func:`make_graph` serves the one skill
``SKILLWEAVE_SKILL`` names. The graph is the cached checkpointer-free one, because
the server refuses graphs that carry their own checkpointer. (The server reads a
thread's state without the run's configuration, so the skill cannot come from it.)

A server run brings no :class:`RunContext`, so the nodes ask this module for one:
the model from the run's ``configurable.model`` or ``SKILLWEAVE_MODEL`` (a scripted
model keeps its place per thread), and the skill's tools over the evidence folder
named by the run's input (``{"inputs": {"evidence": DIR}}``).
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool
from langgraph.config import get_config
from langgraph.graph.state import CompiledStateGraph

from agent._data import data_dir_path
from agent.errors import ConfigError
from agent.graph.compile import RunContext, compile_skill
from agent.graph.state import RunState
from agent.skill.library import Library, default_skill_paths
from agent.skill.model import Skill

_PER_THREAD = ("scripted:", "replay:")
"""Model specs whose model keeps a place in a recording: one model per thread."""
_CACHE_SIZE = 256
_CONTEXTS: OrderedDict[tuple[str, str], RunContext] = OrderedDict()
_TOOLS: OrderedDict[tuple[str, str, str], tuple[BaseTool, ...]] = OrderedDict()


def graph_of(skill: str) -> CompiledStateGraph[RunState, RunContext]:
    """The checkpointer-free graph of ``skill``, resolved on the skills path (reads files)."""
    return compile_skill(Library(default_skill_paths()).resolve(skill))


GraphFactory = Callable[[], Awaitable[CompiledStateGraph[RunState, RunContext]]]


def skill_graph(skill: str) -> GraphFactory:
    """A LangGraph Server graph factory for one skill (what ``langgraph.json`` names).

    The server calls it for every run and every state read; the graph is compiled
    once per skill version and cached, and the files are read off the event loop.
    """

    async def factory() -> CompiledStateGraph[RunState, RunContext]:
        return await asyncio.to_thread(graph_of, skill)

    factory.__name__ = factory.__qualname__ = f"skill_graph_{skill}"
    factory.__doc__ = f"The {skill} skill's graph."
    return factory


async def make_graph() -> CompiledStateGraph[RunState, RunContext]:
    """A graph factory for the skill named by ``SKILLWEAVE_SKILL`` (one skill per server)."""
    skill = os.environ.get("SKILLWEAVE_SKILL", "")
    if not skill:
        raise ConfigError("no skill configured: set SKILLWEAVE_SKILL")
    return await skill_graph(skill)()


def _configurable() -> dict[str, Any]:
    try:
        return dict(get_config().get("configurable", {}))
    except RuntimeError:  # outside a run: no configuration
        return {}


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    if len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def served_context() -> RunContext:
    """The model of a run without a context: ``configurable.model`` or ``SKILLWEAVE_MODEL``."""
    from agent.llm.spec import build_model

    configurable = _configurable()
    spec = str(configurable.get("model") or os.environ.get("SKILLWEAVE_MODEL") or "")
    thread = str(configurable.get("thread_id") or "") if spec.startswith(_PER_THREAD) else ""
    found = _CONTEXTS.get((thread, spec))
    if found is None:
        found = RunContext(model=build_model(spec or None))
        _remember(_CONTEXTS, (thread, spec), found)
    return found


def served_tools(skill: Skill, inputs: dict[str, Any]) -> tuple[BaseTool, ...]:
    """The skill's tools for a run without a context, over the input's evidence folder."""
    from agent.plugins import ToolContext, load_tools

    thread = str(_configurable().get("thread_id") or "")
    evidence = str(inputs.get("evidence") or "")
    key = (thread, skill.name, evidence)
    found = _TOOLS.get(key)
    if found is None:
        ctx = ToolContext.from_env(data_dir_path(), thread, Path(evidence) if evidence else None)
        found = tuple(load_tools(skill, ctx))
        _remember(_TOOLS, key, found)
    return found
