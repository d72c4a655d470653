"""Property: whatever text comes in, parse_skill returns a Skill or raises SkillParseError.

Anything else (IndexError, pydantic ValidationError, RecursionError…) would surface
to a user as a traceback, which bad input must never produce.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.errors import SkillParseError
from agent.skill.model import Skill
from agent.skill.parse import decode_skill, parse_skill

_REPO = Path(__file__).resolve().parents[2]
# The seed is always there; the shared corpus adds variety when present.
_SOURCES = [
    _REPO / "skills" / "incident-response" / "SKILL.md",
    *sorted(p for p in (_REPO / ".." / "shared" / "corpus").rglob("*.md") if p.stem != "README"),
]

_FRAGMENTS = [
    "---",
    "```",
    "````markdown",
    "~~~",
    "## Micro-Skills",
    "### 1. Step",
    "### 1.",
    "### x. Not a step",
    "## Guardrails",
    "## Ask-When-Ambiguous",
    "### Triggers",
    "**Question Templates:**",
    "- ",
    "- [ ] ",
    "  - nested",
    "1) ",
    "| a | b |",
    "|---|---|",
    "|",
    "**Steps:**",
    "**Mode:** power",
    "**Invokes:** `x` (`y`",
    '- cond → ask: "{q}"',
    "- {`",
    "name: [",
    "name: x",
    "metadata: 3",
    "&a [*a]",
    "## In Scope",
    "- delegate to `",
    "- `2025-01-01T00:00:00Z` —",
    "# ",
    "\t",
    "\r",
    "\ufeff",
    "⚡ (Power Mode) 🌿",
]

_SETTINGS = settings(max_examples=200, deadline=None)


@cache
def _lines(path: Path) -> tuple[str, ...]:
    return tuple(decode_skill(path.read_bytes()).split("\n"))


def _parses_or_refuses(text: str) -> None:
    try:
        result: Skill | SkillParseError = parse_skill(text, path="fuzz/SKILL.md")
    except SkillParseError as exc:
        result = exc
    if isinstance(result, SkillParseError):
        assert result.reason
        assert result.line is None or result.line >= 1
    else:
        assert all(d.line >= 1 for d in result.diagnostics)


_MARKDOWNISH = st.lists(
    st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=30)), max_size=40
).map("\n".join)


@st.composite
def _mutated_skill(draw: st.DrawFn) -> str:
    """A real skill with random lines deleted, duplicated or inserted."""
    lines = list(_lines(draw(st.sampled_from(_SOURCES))))
    for _ in range(draw(st.integers(1, 8))):
        index = draw(st.integers(0, len(lines) - 1)) if lines else 0
        action = draw(st.sampled_from(["delete", "duplicate", "insert"]))
        if action == "delete" and lines:
            del lines[index]
        elif action == "duplicate" and lines:
            lines.insert(index, lines[index])
        else:
            lines.insert(index, draw(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=20))))
    return "\n".join(lines)


@_SETTINGS
@given(st.text())
def test_arbitrary_text_parses_or_raises_parse_error(text: str) -> None:
    _parses_or_refuses(text)


@_SETTINGS
@given(_MARKDOWNISH.map(lambda body: "---\nname: fuzz\n---\n" + body))
def test_markdownish_body_parses_or_raises_parse_error(text: str) -> None:
    _parses_or_refuses(text)


@_SETTINGS
@given(_mutated_skill())
def test_mutated_skill_files_parse_or_raise_parse_error(text: str) -> None:
    _parses_or_refuses(text)


@_SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_decode_or_raise_parse_error(data: bytes) -> None:
    try:
        text = decode_skill(data)
    except SkillParseError as exc:
        assert exc.reason  # noqa: PT017 - refusing is allowed; it must say why
        return
    _parses_or_refuses(text)


@settings(max_examples=50, deadline=None)
@given(_mutated_skill())
def test_parsing_is_deterministic(text: str) -> None:
    try:
        first = parse_skill(text)
    except SkillParseError:
        return
    assert parse_skill(text) == first
