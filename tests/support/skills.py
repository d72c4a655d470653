"""Small skills built in code, for tests of what a policy may name."""

from __future__ import annotations

from agent.skill.model import Guardrail, MicroSkill, Skill


def one_step_skill(step: str) -> Skill:
    """A skill with one guardrail ``g`` and one micro-skill ``step``."""
    return Skill(
        name="x",
        content_hash="0",
        guardrails=[Guardrail(id="g", text="G", line=3)],
        micro_skills=[MicroSkill(id=step, number=1, title=step.upper(), steps="", body="", line=5)],
    )
