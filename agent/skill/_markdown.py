"""Line-level markdown reading that the section parsers share.

Markdown is read as lines, not rendered: a skill's runtime needs headings,
bullets and table rows with their line numbers, and everything else kept
verbatim. Fenced code blocks are opaque (a ``## heading`` inside one is text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# A closing run of '#' needs a space before it ("C#" keeps its '#').
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Line:
    """One source line with its 1-based number and whether it sits inside a fence."""

    no: int
    text: str
    fenced: bool


@dataclass(frozen=True)
class Block:
    """A heading and the lines under it, up to the next heading of its level or above."""

    level: int
    title: str
    line: int
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        """The block's body as markdown, trimmed of blank edges and rules."""
        return join(self.lines)


@dataclass(frozen=True)
class Item:
    """A list item with its continuation lines folded into one text."""

    text: str
    line: int


def scan(text: str, first_line: int = 1) -> tuple[list[Line], int | None]:
    """Split into lines marking fenced ones; also return the line of an unclosed fence."""
    out: list[Line] = []
    fence: str | None = None
    opened: int | None = None
    for offset, raw in enumerate(text.split("\n")):
        no = first_line + offset
        match = _FENCE.match(raw)
        if fence is None and match:
            # Only a run of the same character at least this long closes it (CommonMark).
            fence, opened = match.group(1), no
            out.append(Line(no, raw, True))
        elif fence is not None:
            if match and match.group(1).startswith(fence) and not raw.strip().strip(fence[0]):
                fence = None
            out.append(Line(no, raw, True))
        else:
            out.append(Line(no, raw, False))
    return out, (opened if fence is not None else None)


def heading(line: Line) -> tuple[int, str] | None:
    """Level and title if the line is a heading outside a fence."""
    if line.fenced:
        return None
    match = _HEADING.match(line.text)
    return (len(match.group(1)), match.group(2)) if match else None


def blocks(lines: list[Line] | tuple[Line, ...], level: int) -> Iterator[Block]:
    """Yield the blocks opened by headings of exactly ``level`` (deeper ones stay inside)."""
    current: tuple[str, int] | None = None
    body: list[Line] = []
    for line in lines:
        found = heading(line)
        if found and found[0] <= level:
            if current:
                yield Block(level, current[0], current[1], tuple(body))
            current = (found[1], line.no) if found[0] == level else None
            body = []
        elif current:
            body.append(line)
    if current:
        yield Block(level, current[0], current[1], tuple(body))


def preamble(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """The lines before the first heading of any level."""
    out = []
    for line in lines:
        if heading(line):
            break
        out.append(line)
    return tuple(out)


def join(lines: tuple[Line, ...] | list[Line]) -> str:
    """Lines back to markdown, without blank or ``---`` edges."""
    texts = [line.text for line in lines]
    while texts and (not texts[0].strip() or texts[0].strip() == "---"):
        texts.pop(0)
    while texts and (not texts[-1].strip() or texts[-1].strip() == "---"):
        texts.pop()
    return "\n".join(texts)


def items(lines: tuple[Line, ...] | list[Line]) -> list[Item]:
    """Top-level list items (bullets or numbers); indented lines continue the item."""
    out: list[Item] = []
    indent: int | None = None
    parts: list[str] = []
    start = 0

    def flush() -> None:
        if parts:
            out.append(Item(" ".join(p.strip() for p in parts if p.strip()), start))

    for line in lines:
        match = None if line.fenced else _BULLET.match(line.text)
        if match and (indent is None or len(match.group(1)) <= indent):
            flush()
            indent, parts, start = len(match.group(1)), [match.group(2)], line.no
        elif parts and line.text.strip() and not line.fenced and _continues(line.text, indent):
            parts.append(line.text)
        elif parts and (
            not line.text.strip() or heading(line) or not _continues(line.text, indent)
        ):
            flush()
            parts, indent = [], None
    flush()
    return out


def _continues(text: str, indent: int | None) -> bool:
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    return lead > (indent or 0) and not stripped.startswith("|")


def table(lines: tuple[Line, ...] | list[Line]) -> list[tuple[dict[str, str], int]]:
    """Rows of the first pipe table as ``{lowercased header: cell}`` with line numbers."""
    header: list[str] | None = None
    rows: list[tuple[dict[str, str], int]] = []
    for line in lines:
        text = line.text.strip()
        if line.fenced or not text.startswith("|"):
            if rows or header:
                break
            continue
        if _TABLE_RULE.match(text):
            continue
        cells = split_row(text)
        if header is None:
            header = [strip_md(c).lower() for c in cells]
        else:
            rows.append((dict(zip(header, cells, strict=False)), line.no))
    return rows


def split_row(text: str) -> list[str]:
    """Cells of a pipe-table row; escaped pipes and pipes inside backticks stay."""
    body = text.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    if "`" not in body and "\\" not in body:  # the common row: nothing can hide a pipe
        return [cell.strip() for cell in body.split("|")]
    cells: list[str] = []
    current: list[str] = []
    in_code = False
    prev = ""
    for ch in body:
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code and prev != "\\":
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        prev = ch
    cells.append("".join(current).strip())
    return cells


def strip_md(text: str) -> str:
    """Plain text of an inline span: no emphasis markers or backticks."""
    return re.sub(r"[`*_]+", "", text).strip()


def backticked(text: str) -> list[str]:
    """Names written as inline code, in order, without duplicates."""
    return list(dict.fromkeys(re.findall(r"`([^`\s]+)`", text)))
