"""Find skills on disk and resolve them into a self-contained set a graph can compile.

This is the I/O half of ``agent.skill``: it reads files, while parsing and linting
stay pure. Discovery only walks directories; a file is parsed the first time
something asks for it, so one broken file on the path costs nothing (and breaks
nothing) until someone asks for that skill.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agent._data import shipped_dir
from agent.errors import (
    DependencyCycleError,
    MissingDependencyError,
    SkillParseError,
    SkillResolutionError,
)
from agent.skill.model import Skill
from agent.skill.parse import decode_skill, parse_skill

SKILLS_PATH_ENV = "SKILLWEAVE_SKILLS_PATH"
SKILL_FILE = "SKILL.md"
_NOT_SKILLS = frozenset({"readme.md", "license.md", "changelog.md", "contributing.md"})
# Our own skills: the checkout's skills/ folder, or the copy inside an installed wheel.
_PROJECT_SKILLS = shipped_dir("skills")


def load_skill(path: Path) -> Skill:
    """Read and parse one file; every failure is a SkillParseError located in ``path``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SkillParseError(f"cannot read skill file: {exc.strerror}", path=str(path)) from exc
    return _parsed(data, str(path))


@functools.lru_cache(maxsize=256)
def _parsed(data: bytes, path: str) -> Skill:
    """Parsing is what loading costs, and every resume resolves its skills again.

    Keyed by the file's bytes, so an edited file is parsed anew; a Skill is not
    changed after parsing (callers copy it to change it).
    """
    skill = parse_skill(decode_skill(data, path=path), path=path)
    return skill if skill.path else skill.model_copy(update={"path": path})


def default_skill_paths(extra: Sequence[Path] = ()) -> list[Path]:
    """The search path, most specific first: CLI options, environment, then project skills."""
    env = os.environ.get(SKILLS_PATH_ENV, "")
    candidates = [
        *extra,
        *(Path(p) for p in env.split(os.pathsep) if p),
        Path.cwd() / "skills",
        _PROJECT_SKILLS,
    ]
    unique: dict[Path, None] = {}
    for path in candidates:
        unique.setdefault(path.expanduser().resolve(), None)
    return list(unique)


def is_skill_file(path: Path) -> bool:
    """``NAME/SKILL.md`` always counts; a flat ``*.md`` only when it opens with frontmatter."""
    if path.name == SKILL_FILE:
        return True
    if path.suffix.lower() != ".md" or path.name.lower() in _NOT_SKILLS:
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(256).lstrip(b"\xef\xbb\xbf")
    except OSError:
        return False
    if head.startswith((b"```", b"~~~")):
        # Some published skills wrap the whole file in a ```markdown fence.
        head = head.partition(b"\n")[2]
    return head.startswith(b"---")


def discover_files(root: Path) -> list[Path]:
    """Skill files under ``root`` (or ``root`` itself), sorted, hidden folders skipped."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(
            Path(dirpath) / name
            for name in sorted(filenames)
            if is_skill_file(Path(dirpath) / name)
        )
    return found


def skill_name_for(path: Path) -> str:
    """The name a file is expected to declare: its folder for SKILL.md, else its stem."""
    return path.parent.name if path.name == SKILL_FILE else path.stem


@dataclass(frozen=True)
class Problem:
    """Something wrong on the search path that did not stop the library from working."""

    severity: Literal["error", "warning"]
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Reference:
    """A skill named in the body (delegation or invocation), not a hard dependency."""

    name: str
    kind: Literal["delegate", "invoke"]
    line: int
    available: bool


@dataclass(frozen=True)
class SkillSet:
    """A root skill with everything it needs, ready to compile."""

    skill: Skill
    dependencies: tuple[Skill, ...] = ()
    references: tuple[Reference, ...] = ()
    invoked: dict[str, SkillSet] = field(default_factory=dict)

    def get(self, name: str) -> Skill | None:
        """Look a skill up among the root and its dependencies (not the invoked sets)."""
        return next((s for s in (self.skill, *self.dependencies) if s.name == name), None)


class Library:
    """The skills visible on a search path; earlier paths win on name clashes."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self._files: dict[str, Path] = {}
        self._skills: dict[str, Skill] = {}
        self._sets: dict[str, SkillSet] = {}
        self._problems: list[Problem] = []
        self._broken: set[Path] = set()
        self._discover()

    def _discover(self) -> None:
        for root in self.paths:
            for path in discover_files(root):
                name = skill_name_for(path)
                winner = self._files.setdefault(name, path)
                if winner != path:
                    self._problems.append(
                        Problem(
                            "warning", str(path), None, f"skill '{name}' is shadowed by {winner}"
                        )
                    )

    @property
    def problems(self) -> list[Problem]:
        """Shadowed names and files that failed to parse, in the order they were found."""
        return list(self._problems)

    def names(self) -> list[str]:
        """Every discoverable skill name, sorted."""
        return sorted(self._files)

    def has(self, name: str) -> bool:
        """Whether ``name`` is on the path, without parsing anything."""
        return name in self._files or name in self._skills

    def path_of(self, name: str) -> Path | None:
        """Where the skill called ``name`` lives, if it is on the path."""
        return self._files.get(name)

    def get(self, name: str) -> Skill:
        """Parse (once) and return the skill called ``name``."""
        if name in self._skills:
            return self._skills[name]
        path = self._files.get(name)
        if path is None:
            raise SkillResolutionError(
                f"unknown skill '{name}'{self._suggestion(name)}; searched: {self._search_path()}"
            )
        try:
            skill = load_skill(path)
        except SkillParseError as exc:
            self._record_broken(path, exc)
            raise
        self._skills[name] = skill
        return skill

    def find(self, name_or_path: str) -> Skill:
        """Accept what a user types: a skill name, a SKILL.md path or a skill folder."""
        path = Path(name_or_path).expanduser()
        if _looks_like_path(name_or_path) or path.exists():
            if path.is_dir():
                path = path / SKILL_FILE
            if not path.is_file():
                raise SkillResolutionError(f"no skill file at {path}")
            return load_skill(path)
        return self.get(name_or_path)

    def iter_skills(self) -> Iterator[Skill]:
        """Every skill that parses; broken files are recorded in ``problems`` and skipped."""
        for name in self.names():
            try:
                yield self.get(name)
            except SkillParseError:
                continue

    def resolve(self, name_or_path: str) -> SkillSet:
        """Root skill + transitive dependencies (dependencies first) + its references."""
        root = self.find(name_or_path)
        return self._resolve_skill(root, invoking=())

    def _resolve_skill(self, root: Skill, invoking: tuple[str, ...]) -> SkillSet:
        cached = self._sets.get(root.name)
        if cached is not None and cached.skill is root:
            return cached
        order: dict[str, Skill] = {}
        self._visit(root, (root.name,), order)
        dependencies = tuple(s for n, s in order.items() if n != root.name)
        invoked: dict[str, SkillSet] = {}
        for ms in root.micro_skills:
            for target in ms.invokes:
                if target in invoked or not self.has(target):
                    continue
                if target in (*invoking, root.name):
                    chain = " → ".join((*invoking, root.name, target))
                    raise DependencyCycleError(
                        f"invoke cycle: {chain}", path=root.path, line=ms.line
                    )
                invoked[target] = self._resolve_skill(
                    self.get(target), invoking=(*invoking, root.name)
                )
        result = SkillSet(root, dependencies, tuple(self.references(root)), invoked)
        if root.path is not None and self._files.get(root.name) == Path(root.path):
            self._sets[root.name] = result
        return result

    def _visit(self, skill: Skill, chain: tuple[str, ...], order: dict[str, Skill]) -> None:
        # Depth-first post-order: a skill enters ``order`` after all its dependencies.
        for dep in skill.dependencies:
            if dep in chain:
                cycle = " → ".join((*chain[chain.index(dep) :], dep))
                raise DependencyCycleError(
                    f"dependency cycle: {cycle}",
                    path=skill.path,
                    line=_dependency_line(skill, dep),
                )
            if dep in order:
                continue
            if not self.has(dep):
                raise MissingDependencyError(
                    f"skill '{skill.name}' depends on '{dep}', which is not on the skills "
                    f"path ({self._search_path()})",
                    path=skill.path,
                    line=_dependency_line(skill, dep),
                )
            self._visit(self.get(dep), (*chain, dep), order)
        order.setdefault(skill.name, skill)

    def references(self, skill: Skill) -> Iterator[Reference]:
        """Delegations and invocations named in ``skill``, with their availability."""
        for item in (*skill.scope.in_scope, *skill.scope.out_of_scope):
            for name in item.delegates:
                yield Reference(name, "delegate", item.line, self.has(name))
        for rule in skill.decision_criteria:
            for name in rule.invokes:
                yield Reference(name, "invoke", rule.line, self.has(name))
        for ms in skill.micro_skills:
            for name in ms.invokes:
                yield Reference(name, "invoke", ms.line, self.has(name))

    def _record_broken(self, path: Path, exc: SkillParseError) -> None:
        if path not in self._broken:
            self._broken.add(path)
            self._problems.append(Problem("error", str(path), exc.line, exc.reason))

    def _suggestion(self, name: str) -> str:
        """`` (did you mean 'x'?)`` for a near miss among the names on the path, else ''."""
        import difflib  # only on this error path: start-up stays lean

        close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.6)
        if not close:
            return ""
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)"

    def _search_path(self) -> str:
        return os.pathsep.join(str(p) for p in self.paths) or "(empty search path)"


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.endswith(".md")


def _dependency_line(skill: Skill, dep: str) -> int | None:
    """Line of ``dep`` inside the frontmatter, else of the dependencies key (best effort)."""
    if skill.path is None:
        return None
    try:
        lines = Path(skill.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    # Skip a wrapping ```markdown fence, then scan the frontmatter block only.
    start = next((i for i, line in enumerate(lines[:2]) if line.strip() == "---"), 0)
    key_line: int | None = None
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.strip() == "---":
            break
        if line.strip().startswith("dependencies:"):
            key_line = number
        if key_line is not None and dep in line:
            return number
    return key_line
