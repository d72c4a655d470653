"""Frontmatter: split it off, load it as YAML, and normalise both corpus styles.

The seed style keeps ``version``/``dependencies``/``reasoning_mode`` at the top
level; the Agent Skills style nests them under ``metadata:`` with dependencies
as a comma-separated string. Both end up in the same typed fields, and every key
is also kept as written (JSON-safe) so nothing an author wrote is dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from agent.errors import SkillParseError
from agent.skill import _yaml
from agent.skill.model import Diagnostic

_DELIMITERS = ("---", "...")


@dataclass
class Frontmatter:
    """Typed frontmatter fields plus the raw mapping and any type problems found."""

    raw: dict[str, Any]
    first_line: int = 2
    fields: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def split(lines: list[str], start: int = 0) -> tuple[list[str], int]:
    """Return the frontmatter lines and the index of the first body line."""
    if len(lines) <= start or lines[start].strip() != "---":
        raise SkillParseError(
            "missing frontmatter: a skill must start with a '---' line, YAML "
            "(at least 'name:' and 'description:'), and a closing '---'",
            line=start + 1,
        )
    for index in range(start + 1, len(lines)):
        if lines[index].rstrip() in _DELIMITERS:
            return lines[start + 1 : index], index + 1
    raise SkillParseError(
        f"unterminated frontmatter: no closing '---' line after line {start + 1}", line=start + 1
    )


def load(fm_lines: list[str], first_line: int = 2) -> Frontmatter:
    """Parse the YAML; ``first_line`` is the file line of ``fm_lines[0]`` for messages."""
    try:
        data = _yaml.load("\n".join(fm_lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else first_line
        # libyaml marks errors found at end of input past the last line: point at that line.
        line = min(line, first_line + max(len(fm_lines) - 1, 0))
        raise SkillParseError(
            f"malformed YAML in frontmatter: {exc.problem or exc}", line=line
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise SkillParseError(f"malformed YAML in frontmatter: {exc}", line=first_line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise SkillParseError(
            f"frontmatter must be a mapping of keys to values, not a {kind}", line=first_line
        )
    try:
        raw: dict[str, Any] = _json_safe(data)
    except RecursionError:
        raise SkillParseError(
            "frontmatter refers to itself (recursive YAML alias)", line=first_line
        ) from None
    fm = Frontmatter(raw=raw, first_line=first_line)
    _name(fm, fm_lines)
    _fields(fm, fm_lines)
    return fm


def _name(fm: Frontmatter, fm_lines: list[str]) -> None:
    name = fm.raw.get("name")
    line = _key_line(fm_lines, "name", fm.first_line)
    if name is None:
        raise SkillParseError(
            "frontmatter has no 'name': every skill needs one", line=fm.first_line - 1
        )
    if not isinstance(name, str):
        raise SkillParseError(f"'name' must be a string, got {type(name).__name__}", line=line)
    if not name.strip():
        raise SkillParseError("'name' is empty", line=line)
    fm.fields["name"] = name.strip()


def _fields(fm: Frontmatter, fm_lines: list[str]) -> None:
    meta = fm.raw.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        _bad(fm, fm_lines, "metadata", "a mapping")
        meta = None
    merged = {**(meta or {}), **{k: v for k, v in fm.raw.items() if k != "metadata"}}

    for key in (
        "description",
        "license",
        "compatibility",
        "domain",
        "status",
        "reasoning_mode",
        "skill_type",
    ):
        value = merged.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            fm.fields[key] = " ".join(value.split()) if key == "description" else value.strip()
        else:
            _bad(fm, fm_lines, key, "a string")
    version = merged.get("version")
    if isinstance(version, str | int | float) and not isinstance(version, bool):
        fm.fields["version"] = str(version)
    elif version is not None:
        _bad(fm, fm_lines, "version", 'a string such as "1.0.0"')
    for key, target in (
        ("dependencies", "dependencies"),
        ("tags", "tags"),
        ("keywords", "keywords"),
        ("allowed-tools", "allowed_tools"),
        ("allowed_tools", "allowed_tools"),
    ):
        if key in merged and merged[key] is not None:
            names = _names(merged[key], spaces=key.startswith("allowed"))
            if names is None:
                _bad(fm, fm_lines, key, "a list or a comma-separated string")
            else:
                fm.fields[target] = names


def _names(value: Any, *, spaces: bool) -> list[str] | None:
    if isinstance(value, str):
        parts = re.split(r"[,\s]+" if spaces else r",", value)
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    return None


def _bad(fm: Frontmatter, fm_lines: list[str], key: str, expected: str) -> None:
    fm.diagnostics.append(
        Diagnostic.model_construct(
            severity="error",
            line=_key_line(fm_lines, key, fm.first_line),
            message=f"frontmatter '{key}' must be {expected}",
            rule="frontmatter-type",
        )
    )


def _key_line(fm_lines: list[str], key: str, first_line: int) -> int:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for index, text in enumerate(fm_lines):
        if pattern.match(text):
            return index + first_line
    return first_line - 1


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
