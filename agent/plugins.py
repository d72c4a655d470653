"""Tool plugins: Python files that hand a skill the langchain-core tools it may use.

A plugin is any ``*.py`` file in a tools directory (the repository's ``tools/``
plus any ``--tools-dir``) exposing ``make_tools(ctx: ToolContext) -> list[BaseTool]``.
Plugins are imported by file path, so a tools directory needs no package
layout and no ``sys.path`` changes. A skill gets only what it asks for: the
names in its frontmatter ``allowed-tools`` and its ``policy.yaml`` ``tools:``
list, each naming a plugin (all its tools) or a single tool. The policy file
is where the skill's other machine-checked rules already live, so a reviewer
sees in one place what a skill may do and what needs approval, and plugins stay
free of skill names.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from langchain_core.tools import BaseTool

from agent.errors import PluginError, UserError
from agent.skill.model import Skill
from agent.skill.policy import load_policy

DEFAULT_TOOLS_DIR = Path(__file__).resolve().parents[1] / "tools"
"""The repository's own plugins (incident evidence and action tools)."""

STATUS_WEBHOOK_ENV = "SKILLWEAVE_STATUS_WEBHOOK"
ACTION_WEBHOOK_ENV = "SKILLWEAVE_ACTION_WEBHOOK"
CHANNEL_ENV = "SKILLWEAVE_STATUS_CHANNEL"


class Effects(Protocol):
    """The engine's ledger of effects, so a tool's effect happens once per run.

    A step can run again (a revision, a resume after a kill); a tool that files,
    sends or records something passes a key made from what it does, and the second
    call with that key gets the first call's record instead of doing it again.
    """

    async def once(
        self, kind: str, key: str, do: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """``do()``'s record the first time ``key`` is seen; the same record afterwards."""
        ...


@dataclass(frozen=True)
class ToolContext:
    """What a plugin may know about the run it serves; rebuilt the same way on resume."""

    data_dir: Path
    thread_id: str
    evidence_dir: Path | None = None
    channel: str = "file"
    """Where status updates go without a webhook: ``file`` (under data_dir) or ``stdout``."""
    status_webhook_url: str | None = None
    """A Slack-compatible incoming webhook for status updates (overrides ``channel``)."""
    action_webhook_url: str | None = None
    """Called with an approved destructive action; never before the human said yes."""
    effects: Effects | None = None
    """Given by the engine; without it (a tool tried on its own) effects are not deduplicated."""

    async def once(
        self, kind: str, args: Mapping[str, Any], do: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Do an effect once per run for the same ``kind`` and ``args``."""
        if self.effects is None:
            return await do()
        text = json.dumps(dict(args), sort_keys=True, default=str, ensure_ascii=False)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        return await self.effects.once(kind, key, do)

    @classmethod
    def from_env(
        cls,
        data_dir: Path,
        thread_id: str,
        evidence_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        effects: Effects | None = None,
    ) -> ToolContext:
        """Channel and webhook settings from ``SKILLWEAVE_*`` variables (URLs are secrets)."""
        env = os.environ if env is None else env
        return cls(
            data_dir=data_dir,
            thread_id=thread_id,
            evidence_dir=evidence_dir,
            channel=env.get(CHANNEL_ENV) or "file",
            status_webhook_url=env.get(STATUS_WEBHOOK_ENV) or None,
            action_webhook_url=env.get(ACTION_WEBHOOK_ENV) or None,
            effects=effects,
        )


def plugin_files(tools_dirs: Sequence[Path] = ()) -> dict[str, Path]:
    """Plugin name → file; a directory given first shadows a same-named plugin after it."""
    found: dict[str, Path] = {}
    for folder in [*tools_dirs, DEFAULT_TOOLS_DIR]:
        if not folder.is_dir():
            if folder != DEFAULT_TOOLS_DIR:
                raise PluginError(f"{folder}: tools directory does not exist")
            continue
        for file in sorted(folder.glob("*.py")):
            if not file.name.startswith("_"):
                found.setdefault(file.stem, file)
    return found


def _import(file: Path) -> ModuleType:
    digest = hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:8]
    spec = importlib.util.spec_from_file_location(f"skillweave_tools.{file.stem}_{digest}", file)
    if spec is None or spec.loader is None:
        raise PluginError(f"{file}: not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # any import fault is the plugin author's to fix
        raise PluginError(
            f"{file}: tool plugin failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


_MODULES: dict[tuple[str, int, int], ModuleType] = {}


def _module(file: Path) -> ModuleType:
    """The plugin imported once per version of its file (every run asks for its tools)."""
    stat = file.stat()
    key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _MODULES:
        _MODULES[key] = _import(file)
    return _MODULES[key]


def _tools_of(file: Path, ctx: ToolContext) -> list[BaseTool]:
    make = getattr(_module(file), "make_tools", None)
    if not callable(make):
        raise PluginError(f"{file}: a tool plugin must define make_tools(ctx) -> list[BaseTool]")
    try:
        tools = make(ctx)
    except UserError:
        raise  # e.g. a malformed evidence file: already names the file and line
    except Exception as exc:
        raise PluginError(f"{file}: make_tools failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(tools, list) or not all(isinstance(t, BaseTool) for t in tools):
        raise PluginError(f"{file}: make_tools must return a list of langchain-core tools")
    return tools


def allowed_names(skill: Skill) -> tuple[list[str], list[str]]:
    """The frontmatter's ``allowed-tools`` and the policy's ``tools:`` (kept apart)."""
    policy = load_policy(Path(skill.path)) if skill.path else None
    return list(skill.allowed_tools), list(policy.tools) if policy is not None else []


def load_tools(skill: Skill, ctx: ToolContext, tools_dirs: Sequence[Path] = ()) -> list[BaseTool]:
    """The tools ``skill`` may use, built for one run.

    Names in ``allowed-tools`` that no plugin provides are ignored (skills written
    for other agents list their hosts' tools, such as ``Read``); a name in the
    skill's own policy that nothing provides is an error, since it is surely a typo.
    """
    frontmatter, policy = allowed_names(skill)
    wanted = {*frontmatter, *policy}
    if not wanted:
        return []
    tools: dict[str, BaseTool] = {}
    provided: set[str] = set()
    for name, file in plugin_files(tools_dirs).items():
        made = _tools_of(file, ctx)
        provided |= {name, *(t.name for t in made)}
        for tool in made:
            if name not in wanted and tool.name not in wanted:
                continue
            if tool.name in tools:
                raise PluginError(
                    f"{file}: tool {tool.name!r} is already provided by another plugin"
                )
            tools[tool.name] = tool
    unknown = [n for n in policy if n not in provided]
    if unknown:
        raise PluginError(
            f"{skill.path}: policy tools {', '.join(map(repr, unknown))} are provided by no "
            f"plugin in {', '.join(str(d) for d in [*tools_dirs, DEFAULT_TOOLS_DIR])}"
        )
    return list(tools.values())
