"""skillweave: run SKILL.md skill documents as durable, human-in-the-loop LangGraph agents.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

from agent.errors import (
    ConfigError,
    ModelError,
    RunError,
    SkillParseError,
    SkillResolutionError,
    SkillweaveError,
    UserError,
)
from agent.skill.model import Skill

__all__ = [
    "ConfigError",
    "ModelError",
    "RunError",
    "Skill",
    "SkillParseError",
    "SkillResolutionError",
    "SkillweaveError",
    "UserError",
]
