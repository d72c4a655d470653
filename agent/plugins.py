"""Tool plugins: Python modules that hand a skill the langchain-core tools it may use.

A plugin exposes ``make_tools(ctx: ToolContext) -> list[BaseTool]`` and comes
from one of three sources, earlier ones shadowing a same-named plugin later:

1. any ``*.py`` file in a ``--tools-dir``, imported by file path, so a tools
   directory needs no package layout and no ``sys.path`` changes;
2. an entry point in the ``skillweave.tools`` group of any installed
   distribution: ``name = "package.module"`` (its ``make_tools``) or
   ``name = "package.module:function"``, so a third party adds plugins by
   installing a package. Ours are registered this way too (pyproject.toml);
3. the files in :data:`DEFAULT_TOOLS_DIR`, for a source tree that was never
   installed (no entry points): our own plugins, found on disk.

A skill gets only what it asks for: the names in its frontmatter
``allowed-tools`` and its ``policy.yaml`` ``tools:`` list, each naming a
plugin (all its tools) or a single tool. The policy file
is where the skill's other machine-checked rules already live, so a reviewer
sees in one place what a skill may do and what needs approval, and plugins stay
free of skill names.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from langchain_core.tools import BaseTool

from agent._data import BUNDLE_DIR, shipped_dir
from agent.errors import PluginError, UserError
from agent.skill.model import Skill
from agent.skill.policy import load_policy

DEFAULT_TOOLS_DIR = shipped_dir("tools")
"""Our own plugin files (incident evidence and action tools): the checkout's ``tools/``
or the copy inside an installed wheel."""
ENTRY_POINT_GROUP = "skillweave.tools"
"""Installed distributions register tool plugins under this entry-point group."""
_SHIPPED_MODULES = f"agent.{BUNDLE_DIR}.tools."

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
        self, kind: str, args: Mapping[str, Any], do: Callable[[str], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Do an effect once per run for the same ``kind`` and ``args``.

        ``do`` gets the effect's idempotency key (the same on every re-run of the run):
        the engine's ledger is written after the effect, so a kill in between runs
        ``do`` again, and the receiver must drop a record or delivery it already
        has under that key (a file looks for it, a webhook is sent it as a header).
        """
        text = json.dumps(dict(args), sort_keys=True, default=str, ensure_ascii=False)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        scoped = hashlib.sha256(f"{self.thread_id}\0{kind}\0{key}".encode()).hexdigest()
        idempotency_key = f"{kind}-{scoped[:32]}"
        if self.effects is None:
            return await do(idempotency_key)
        return await self.effects.once(kind, key, lambda: do(idempotency_key))

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


@dataclass(frozen=True)
class PluginSource:
    """Where a plugin was found, for ``skillweave info`` and error messages."""

    name: str
    file: Path
    """The file imported (for ``module:function`` entry points, ``FILE:function``)."""
    kind: str
    """``file`` (a tools directory) or ``entry point``."""
    origin: str
    """The tools directory, or ``name = value (distribution)`` for an entry point."""


_ENTRY_FILES: dict[Path, EntryPoint] = {}
"""Files that stand for entry points, so ``_import`` loads them as modules, not by path."""


def plugin_sources(tools_dirs: Sequence[Path] = ()) -> dict[str, PluginSource]:
    """Every plugin by name, in precedence order: tools dirs, entry points, our own files."""
    found: dict[str, PluginSource] = {}
    for folder in tools_dirs:
        if not folder.is_dir():
            raise PluginError(f"{folder}: tools directory does not exist")
        _add_files(found, folder)
    for name, source in _entry_sources().items():
        found.setdefault(name, source)
    if DEFAULT_TOOLS_DIR.is_dir():
        _add_files(found, DEFAULT_TOOLS_DIR)
    return found


def plugin_files(tools_dirs: Sequence[Path] = ()) -> dict[str, Path]:
    """Plugin name → file; a directory given first shadows a same-named plugin after it."""
    return {name: source.file for name, source in plugin_sources(tools_dirs).items()}


def _add_files(found: dict[str, PluginSource], folder: Path) -> None:
    for file in sorted(folder.glob("*.py")):
        if not file.name.startswith("_") and file.stem not in found:
            found[file.stem] = PluginSource(file.stem, file, "file", str(folder))


@functools.cache
def _entry_sources() -> dict[str, PluginSource]:
    """The installed entry-point plugins, read once per process (every run asks for tools)."""
    eps = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    return {ep.name: _entry_source(ep) for ep in eps}


def _entry_source(ep: EntryPoint) -> PluginSource:
    """Locate an entry point's module file without running it (that happens per run)."""
    dist = f" ({ep.dist.name} {ep.dist.version})" if ep.dist is not None else ""
    origin = f"{ep.name} = {ep.value}{dist}"
    if ep.module.startswith(_SHIPPED_MODULES) and ep.attr is None:
        # Ours: the file itself, found where agent/_data.py says the tools are, since
        # an editable install cannot import agent._bundled.* (it exists only in a wheel).
        file = DEFAULT_TOOLS_DIR / f"{ep.module.removeprefix(_SHIPPED_MODULES)}.py"
        return PluginSource(ep.name, file, "entry point", origin)
    try:
        spec = importlib.util.find_spec(ep.module)
    except (ImportError, ValueError) as exc:
        raise PluginError(f"tool plugin entry point {origin}: {exc}") from exc
    if spec is None or spec.origin is None:
        raise PluginError(f"tool plugin entry point {origin}: no module {ep.module!r}")
    file = Path(spec.origin)
    if ep.attr is not None:
        file = file.with_name(f"{file.name}:{ep.attr}")
    _ENTRY_FILES[file] = ep
    return PluginSource(ep.name, file, "entry point", origin)


def _import(file: Path) -> ModuleType:
    ep = _ENTRY_FILES.get(file)
    if ep is not None:
        return _load_entry_point(file, ep)
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


def _load_entry_point(file: Path, ep: EntryPoint) -> ModuleType:
    """The entry point's module, or a stand-in whose ``make_tools`` is the named function."""
    try:
        loaded = ep.load()
    except Exception as exc:  # any import fault is the plugin author's to fix
        raise PluginError(
            f"{file}: tool plugin failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(loaded, ModuleType):
        return loaded
    stand_in = ModuleType(f"{ep.module}:{ep.attr}")
    stand_in.make_tools = loaded  # type: ignore[attr-defined]
    return stand_in


_MODULES: dict[tuple[str, int, int], ModuleType] = {}


def _module(file: Path) -> ModuleType:
    """The plugin imported once per version of its file (every run asks for its tools)."""
    if file in _ENTRY_FILES:
        return _import(file)  # Python's own import system keeps the module
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
