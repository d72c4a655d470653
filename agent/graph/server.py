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

Approved actions leave such a run from the graph itself (:func:`post_approved`): no
engine drives it, so no outbox sends them after each advance.

A caller picks those, so the operator bounds them as ``skillweave serve`` does: a
model spec names a server that gets the key (or a file on this host), so a caller may
name only ``SKILLWEAVE_MODEL`` or one listed in ``SKILLWEAVE_ALLOWED_MODELS``
(comma-separated); an evidence folder must lie under ``SKILLWEAVE_EVIDENCE_ROOTS``
(``os.pathsep``-separated; the server's working directory when unset).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from langchain_core.tools import BaseTool
from langgraph.config import get_config
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from agent._data import data_dir_path
from agent.access import under_roots
from agent.channels import WEBHOOK_TIMEOUT
from agent.errors import ConfigError, NotOfferedError
from agent.graph.compile import RunContext, compile_skill
from agent.graph.rules import approved_actions, approved_payload
from agent.graph.state import RunState
from agent.plugins import ACTION_WEBHOOK_ENV
from agent.skill.library import Library, default_skill_paths
from agent.skill.model import Skill
from agent.skill.policy import Policy

log = logging.getLogger(__name__)

OUTBOX = ("skillweave", "outbox")
"""The server store's namespace (then the thread id) of the actions already delivered."""
MODELS_ENV = "SKILLWEAVE_ALLOWED_MODELS"
EVIDENCE_ENV = "SKILLWEAVE_EVIDENCE_ROOTS"
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


def model_spec(configurable: dict[str, Any]) -> str:
    """The run's model spec: the caller's pick if the operator offers it, else the default."""
    default = os.environ.get("SKILLWEAVE_MODEL") or ""
    asked = str(configurable.get("model") or "")
    if not asked or asked == default:
        return default
    offered = [m.strip() for m in os.environ.get(MODELS_ENV, "").split(",") if m.strip()]
    if asked not in offered:
        listed = ", ".join([default, *offered] if default else offered) or "none"
        raise NotOfferedError(
            f"model {asked!r} is not offered by this server (offered: {listed}); "
            f"the operator lists the specs a run may pick in {MODELS_ENV}"
        )
    return asked


def evidence_folder(inputs: dict[str, Any]) -> Path | None:
    """The evidence folder the run's input names, if it lies under the operator's roots."""
    named = str(inputs.get("evidence") or "")
    if not named:
        return None
    roots = tuple(Path(p) for p in os.environ.get(EVIDENCE_ENV, "").split(os.pathsep) if p)
    path = Path(named)
    if not path.is_dir() or not under_roots(path, roots):
        raise NotOfferedError(
            f"evidence {named}: no such folder under the server's evidence roots "
            f"({EVIDENCE_ENV}, or the working directory when unset)"
        )
    return path.resolve()


def served_context() -> RunContext:
    """The model of a run without a context: ``configurable.model`` or ``SKILLWEAVE_MODEL``."""
    from agent.llm.spec import build_model

    configurable = _configurable()
    spec = model_spec(configurable)
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
    evidence = evidence_folder(inputs)
    key = (thread, skill.name, str(evidence or ""))
    found = _TOOLS.get(key)
    if found is None:
        ctx = ToolContext.from_env(data_dir_path(), thread, evidence)
        found = tuple(load_tools(skill, ctx))
        _remember(_TOOLS, key, found)
    return found


async def post_approved(
    policy: Policy,
    values: Mapping[str, Any],
    store: BaseStore | None,
    thread_id: str | None = None,
) -> list[str]:
    """POST the run's approved actions to ``SKILLWEAVE_ACTION_WEBHOOK``; the ids sent now.

    The server's store remembers each delivery (per thread, by approval id), so a node
    that runs again sends nothing twice; a POST that fails is tried again when the next
    step is accepted. ``Idempotency-Key`` carries the approval id for the receiver.
    """
    url = os.environ.get(ACTION_WEBHOOK_ENV)
    if not url:
        return []
    thread = thread_id or str(_configurable().get("thread_id") or "")
    namespace = (*OUTBOX, thread)
    approvals = values.get("approvals", {})
    sent = []
    for qid, action in approved_actions(values, policy):
        if store is not None and await store.aget(namespace, qid) is not None:
            continue
        payload = approved_payload(thread, qid, action, approvals[qid])
        try:
            async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
                response = await client.post(url, json=payload, headers={"Idempotency-Key": qid})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("approved action %s not delivered yet: %s", qid, type(exc).__name__)
            continue
        if store is not None:
            await store.aput(namespace, qid, {"delivered": True})
        sent.append(qid)
    return sent
