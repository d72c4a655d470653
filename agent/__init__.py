"""skillweave: run SKILL.md skill documents as durable, human-in-the-loop LangGraph agents.

The public API is what ``__all__`` lists; everything else is internal and may change.
Every name loads lazily: parsing and validating skills does not pay for importing
LangGraph and the openai SDK, and ``import agent.cli`` (``skillweave --help``) does
not pay for pydantic either (the errors module imports it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.engine.api import (
        RunResult,
        export_transcript,
        get_status,
        list_runs,
        resume,
        run_events,
        start,
    )
    from agent.engine.deadlines import apply_deadlines, next_deadline
    from agent.engine.events import RunEvent
    from agent.errors import (
        ConfigError,
        ModelError,
        RunError,
        SkillParseError,
        SkillResolutionError,
        SkillweaveError,
        UserError,
    )
    from agent.graph.compile import RunContext, build_graph, compile_skill
    from agent.llm import ChatModel, ScriptedModel, build_model
    from agent.skill.library import Library, SkillSet, load_skill
    from agent.skill.model import Skill
    from agent.skill.parse import parse_skill

_LAZY = {
    **dict.fromkeys(
        (
            "ConfigError",
            "ModelError",
            "RunError",
            "SkillParseError",
            "SkillResolutionError",
            "SkillweaveError",
            "UserError",
        ),
        "agent.errors",
    ),
    "Library": "agent.skill.library",
    "SkillSet": "agent.skill.library",
    "load_skill": "agent.skill.library",
    "Skill": "agent.skill.model",
    "parse_skill": "agent.skill.parse",
    "build_graph": "agent.graph.compile",
    "compile_skill": "agent.graph.compile",
    "RunContext": "agent.graph.compile",
    "ChatModel": "agent.llm",
    "ScriptedModel": "agent.llm",
    "build_model": "agent.llm",
    "RunEvent": "agent.engine.events",
    "apply_deadlines": "agent.engine.deadlines",
    "next_deadline": "agent.engine.deadlines",
    **dict.fromkeys(
        (
            "RunResult",
            "export_transcript",
            "get_status",
            "list_runs",
            "resume",
            "run_events",
            "start",
        ),
        "agent.engine.api",
    ),
}

__all__ = [
    "ChatModel",
    "ConfigError",
    "Library",
    "ModelError",
    "RunContext",
    "RunError",
    "RunEvent",
    "RunResult",
    "ScriptedModel",
    "Skill",
    "SkillParseError",
    "SkillResolutionError",
    "SkillSet",
    "SkillweaveError",
    "UserError",
    "apply_deadlines",
    "build_graph",
    "build_model",
    "compile_skill",
    "export_transcript",
    "get_status",
    "list_runs",
    "load_skill",
    "next_deadline",
    "parse_skill",
    "resume",
    "run_events",
    "start",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agent' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
