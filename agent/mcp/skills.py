"""Skills as MCP content: prompts, ``skill://`` resources and the skills extension (SEP-2640).

Every file of a skill folder is a resource ``skill://<name>/<file>`` (the
``SKILL.md`` first), readable with plain ``resources/read`` by any client. The
extension ``io.modelcontextprotocol/skills`` adds ``skills/list`` and
``skills/get``, whose entries carry the verbatim frontmatter and every file's
sha256 digest and size, computed from the bytes on disk at call time so they
always match what ``resources/read`` returns. The SDK ships no skills extension;
this one is built on its generic extension hook (``Extension.methods`` and
``Extension.resources``). Each skill is also a prompt whose arguments are its
Inputs table.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.extension import Extension, MethodBinding, ResourceBinding
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument, UserMessage
from mcp.server.mcpserver.resources import Resource
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, PaginatedRequestParams, RequestParams

from agent.skill.library import SKILL_FILE, Library
from agent.skill.model import Skill

SKILLS_EXTENSION = "io.modelcontextprotocol/skills"
LISTING_TTL_MS = 60_000
_MIME = {".md": "text/markdown", ".yaml": "application/yaml", ".yml": "application/yaml"}
FREE_INPUT = "input"
"""The one prompt argument of a skill without an Inputs table: what to run it on."""


def skill_uri(name: str, file: str = SKILL_FILE) -> str:
    """``skill://<name>/<file>``: the skill path is its name (our skills are not nested)."""
    return f"skill://{name}/{file}"


@dataclass(frozen=True)
class SkillFiles:
    """One skill's files on disk, keyed by their path inside the skill."""

    skill: Skill
    files: dict[str, Path]

    @property
    def uri(self) -> str:
        """The skill's ``SKILL.md`` resource."""
        return skill_uri(self.skill.name)

    def entry(self) -> dict[str, Any]:
        """The SEP-2640 ``Skill`` entry: uri, verbatim frontmatter, every file's digest and size."""
        resources = []
        for rel, path in self.files.items():
            data = path.read_bytes()
            resources.append(
                {
                    "uri": skill_uri(self.skill.name, rel),
                    "digest": f"sha256:{hashlib.sha256(data).hexdigest()}",
                    "size": len(data),
                }
            )
        frontmatter = {"description": self.skill.description, **self.skill.frontmatter}
        frontmatter["name"] = self.skill.name
        return {"uri": self.uri, "frontmatter": frontmatter, "resources": resources}


def skill_files(skill: Skill) -> SkillFiles:
    """The files of a skill: its folder's files for ``NAME/SKILL.md``, else the one file."""
    if skill.path is None:
        return SkillFiles(skill, {})
    path = Path(skill.path)
    if path.name != SKILL_FILE or path.parent.name != skill.name:
        return SkillFiles(skill, {SKILL_FILE: path})
    files = {SKILL_FILE: path}
    for dirpath, dirnames, filenames in os.walk(path.parent):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(path.parent).as_posix()
            if not name.startswith(".") and rel != SKILL_FILE:
                files[rel] = full
    return SkillFiles(skill, files)


def catalog(library: Library) -> dict[str, SkillFiles]:
    """Every skill that parses, by ``SKILL.md`` URI (a broken file is left out, not fatal)."""
    found: dict[str, SkillFiles] = {}
    for skill in library.iter_skills():
        files = skill_files(skill)
        found[files.uri] = files
    return found


class SkillFile(Resource):
    """A file of a skill, read from disk on every ``resources/read``."""

    path: Path

    async def read(self) -> str | bytes:
        """The file's text (or bytes when it is not UTF-8)."""
        data = self.path.read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data


def resources(skills: dict[str, SkillFiles]) -> list[SkillFile]:
    """One resource per file of every skill, the ``SKILL.md`` named and described like the skill."""
    out = []
    for entry in skills.values():
        for rel, path in entry.files.items():
            is_main = rel == SKILL_FILE
            out.append(
                SkillFile(
                    uri=skill_uri(entry.skill.name, rel),
                    name=entry.skill.name if is_main else f"{entry.skill.name}/{rel}",
                    description=entry.skill.description.strip() if is_main else None,
                    mime_type=_MIME.get(path.suffix.lower())
                    or mimetypes.guess_type(path.name)[0]
                    or "text/plain",
                    path=path,
                )
            )
    return out


class GetSkillParams(RequestParams):
    """``skills/get`` params: the URI of a skill's ``SKILL.md``."""

    uri: str


class SkillsExtension(Extension):
    """``io.modelcontextprotocol/skills``: list and get skill entries; serve their files."""

    identifier = SKILLS_EXTENSION

    def __init__(self, skills: dict[str, SkillFiles]) -> None:
        self._skills = skills

    def resources(self) -> Sequence[ResourceBinding]:
        """The ``skill://`` resources (also readable by clients without the extension)."""
        return [ResourceBinding(r) for r in resources(self._skills)]

    def methods(self) -> Sequence[MethodBinding]:
        """``skills/list`` and ``skills/get``."""
        return [
            MethodBinding("skills/list", PaginatedRequestParams, self._list),
            MethodBinding("skills/get", GetSkillParams, self._get),
        ]

    async def _list(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
    ) -> dict[str, Any]:
        return {
            "resultType": "complete",
            "skills": [s.entry() for s in self._skills.values()],
            "ttlMs": LISTING_TTL_MS,
            "cacheScope": "public",
        }

    async def _get(
        self, ctx: ServerRequestContext[Any, Any], params: GetSkillParams
    ) -> dict[str, Any]:
        found = self._skills.get(params.uri)
        if found is None:
            raise MCPError(code=INVALID_PARAMS, message=f"no skill at {params.uri}")
        return {
            "resultType": "complete",
            "skill": found.entry(),
            "ttlMs": LISTING_TTL_MS,
            "cacheScope": "public",
        }


def prompt_for(entry: SkillFiles) -> Prompt:
    """The skill as a prompt: its Inputs table as arguments; rendering asks for ``run_skill``."""
    skill = entry.skill
    arguments = [
        PromptArgument(name=f.name, description=f.description or None, required=f.required)
        for f in skill.inputs
    ] or [PromptArgument(name=FREE_INPUT, description="what to run the skill on", required=False)]

    def render(**values: str) -> list[UserMessage]:
        inputs = {k: v for k, v in values.items() if v}
        call = json.dumps({"skill": skill.name, "inputs": inputs}, ensure_ascii=False)
        return [
            UserMessage(
                f"Run the skillweave skill '{skill.name}' with the run_skill tool, arguments "
                f"{call}. It pauses for human decisions; answer its questions (or relay them "
                f"with answer_run). The skill reads at {entry.uri}:\n\n"
                f"{skill.description.strip()}"
            )
        ]

    return Prompt(
        name=skill.name,
        title=skill.title,
        description=skill.description.strip() or None,
        arguments=arguments,
        fn=render,
    )
