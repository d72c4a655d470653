"""The run's recipe: everything needed to continue a run, stored with it in the run database.

``answer``, ``resume``, ``status`` and ``transcript`` need only the thread id
(and the database): the recipe names the skill (path and content hash, and each
dependency's), the skills path it resolved on, the model spec (never a key; keys
come from the environment of whoever continues), the tool plugin folders, the
evidence folder, a policy override and the graph bounds, and the run's inputs.
A skill file that is gone or changed since the run started is a clear error
naming the file and both hashes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.errors import UserError
from agent.graph._context import GraphSettings
from agent.skill.library import Library, SkillSet, default_skill_paths
from agent.skill.model import Skill
from agent.skill.policy import Policy

RECIPE_VERSION = 1


class SkillPin(BaseModel):
    """One skill file the run used, pinned by the hash of its text."""

    name: str
    path: str | None = None
    content_hash: str


class Recipe(BaseModel):
    """How a run was started; enough for any process on any machine to continue it."""

    version: int = RECIPE_VERSION
    skill: SkillPin
    dependencies: list[SkillPin] = Field(default_factory=list)
    skill_paths: list[str] = Field(default_factory=list)
    model: str | None = None
    """The model spec; None when the model was handed in code (it must be handed again)."""
    model_name: str = ""
    script_base: dict[str, int] = Field(default_factory=dict)
    """Journaled calls per purpose made before the current (scripted) model took over."""
    tools_in_code: bool = False
    """The tools were handed in code, not built from plugins (hand them again to continue)."""
    tools_dirs: list[str] = Field(default_factory=list)
    evidence: str | None = None
    policy: dict[str, Any] | None = None
    """A policy override; None means the ``policy.yaml`` beside the skill."""
    settings: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Any] = Field(default_factory=dict)


def _pin(skill: Skill) -> SkillPin:
    return SkillPin(name=skill.name, path=skill.path, content_hash=skill.content_hash)


def _root(skill_file: Path) -> Path:
    """The library folder a skill file was found in (``ROOT/NAME/SKILL.md`` or ``ROOT/NAME.md``)."""
    return skill_file.parent.parent if skill_file.name == "SKILL.md" else skill_file.parent


def portable_spec(spec: str | None) -> str | None:
    """A file-backed spec with an absolute path, so a later process can run from anywhere."""
    if spec is None:
        return None
    prefix, sep, path = spec.partition(":")
    if sep and prefix in ("scripted", "replay") and path:
        return f"{prefix}:{Path(path).resolve()}"
    return spec


def make_recipe(
    skillset: SkillSet,
    *,
    inputs: dict[str, Any],
    skill_paths: Sequence[Path],
    model_spec: str | None,
    model_name: str,
    tools_in_code: bool,
    tools_dirs: Sequence[Path],
    evidence: Path | None,
    policy: Policy | None,
    settings: GraphSettings | None,
) -> Recipe:
    """The recipe of a run about to start."""
    deps = [_pin(d) for d in skillset.dependencies]
    deps += [_pin(s.skill) for s in skillset.invoked.values()]
    # The folders the skills were found in, so they resolve the same way elsewhere.
    roots = [*skill_paths, *(_root(Path(p.path)) for p in [_pin(skillset.skill), *deps] if p.path)]
    return Recipe(
        skill=_pin(skillset.skill),
        dependencies=deps,
        skill_paths=list(dict.fromkeys(str(p.resolve()) for p in roots)),
        model=portable_spec(model_spec),
        model_name=model_name,
        tools_in_code=tools_in_code,
        tools_dirs=[str(d.resolve()) for d in tools_dirs],
        evidence=str(evidence.resolve()) if evidence else None,
        policy=policy.model_dump(mode="json") if policy is not None else None,
        settings=dataclasses.asdict(settings) if settings else {},
        inputs=inputs,
    )


def _check(thread_id: str, pin: SkillPin, found: Skill | None) -> None:
    where = pin.path or pin.name
    if found is None or (pin.path and not Path(pin.path).is_file()):
        raise UserError(
            f"run '{thread_id}': skill file {where} (content hash {pin.content_hash[:12]}…) "
            "is gone; restore it to continue the run"
        )
    if found.content_hash != pin.content_hash:
        raise UserError(
            f"run '{thread_id}': skill file {where} changed since the run started "
            f"(content hash {pin.content_hash[:12]}…, now {found.content_hash[:12]}…); "
            "restore that version to continue the run"
        )


def resolve_recipe(thread_id: str, recipe: Recipe) -> SkillSet:
    """The skill set the run started with, after checking no file changed or went away."""
    pin = recipe.skill
    if pin.path and not Path(pin.path).is_file():
        _check(thread_id, pin, None)
    # Each pinned file first (a file on the path stands for itself), then the folders: a
    # dependency resolves to the very file the run started with, whatever else shares its
    # name on the path (a skill named by path may sit beside another of that name).
    pinned = [Path(d.path) for d in recipe.dependencies if d.path]
    library = Library([*pinned, *default_skill_paths([Path(p) for p in recipe.skill_paths])])
    try:
        skillset = library.resolve(pin.path or pin.name)
    except UserError as exc:
        raise UserError(
            f"run '{thread_id}': the recorded skill no longer resolves: {exc}"
        ) from None
    _check(thread_id, pin, skillset.skill)
    used = {s.name: s for s in skillset.dependencies}
    used.update({s.skill.name: s.skill for s in skillset.invoked.values()})
    for dep in recipe.dependencies:
        _check(thread_id, dep, used.get(dep.name))
    return skillset


def recipe_policy(recipe: Recipe) -> Policy | None:
    """The policy override the run started with, if any."""
    return Policy.model_validate(recipe.policy) if recipe.policy is not None else None


def recipe_settings(recipe: Recipe) -> GraphSettings | None:
    """The graph bounds the run started with (None: the defaults)."""
    return GraphSettings(**recipe.settings) if recipe.settings else None
