"""SKILL.md text → :class:`~agent.skill.model.Skill`: a pure function, no I/O.

Only input that cannot be modelled at all (no frontmatter, broken YAML, no
name, undecodable bytes) raises :class:`~agent.errors.SkillParseError`. Anything
recoverable becomes a :class:`~agent.skill.model.Diagnostic` on the skill, so a
validator can report every problem of a file in one pass.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from agent.errors import SkillParseError
from agent.skill import _frontmatter, _markdown
from agent.skill._markdown import Block, Line
from agent.skill._slug import slugify, unique_ids
from agent.skill.model import (
    Ambiguity,
    AuditEntry,
    Criterion,
    DecisionRule,
    Diagnostic,
    FailureMode,
    Guardrail,
    IOField,
    MicroSkill,
    Mode,
    QuestionTemplate,
    Scope,
    ScopeItem,
    Section,
    Skill,
    Trigger,
)

__all__ = ["MAX_SKILL_BYTES", "decode_skill", "parse_skill", "slugify"]

MAX_SKILL_BYTES = 1024 * 1024
"""Skills are prompts: a file past 1 MiB is a mistake, not a skill."""

_MICRO_HEADING = re.compile(r"^(\d+)[.)]\s*(.*)$")
_PLACEHOLDER = re.compile(r"\{\s*`?([^{}`]*?)`?\s*\}")
_ASK = re.compile(
    r"^(?P<cond>.*?)\s*(?:→|->)\s*(?:ask(?:\s+user)?\s*:?\s*)?(?P<q>[\"“].*[\"”])\s*\.?$", re.S
)
_TIMESTAMP = re.compile(
    r"^`?(\d{4}-\d{2}-\d{2}(?:[T ]\d[0-9:.]*(?:Z|[+-]\d{2}:?\d{2})?)?)`?\s*(?:[:—–-]+\s*)?(.*)$"
)
_INVOKE = re.compile(r"\binvok\w*\b[^`]*((?:`[^`]+`[^`]*)+)", re.I)
_WRAPPER = re.compile(r"^\s*(`{3,}|~{3,})\s*(markdown|md)?\s*$", re.I)
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_DELEGATE = re.compile(r"\bdelegat\w*\b(.*)", re.I)


def decode_skill(data: bytes, *, path: str | None = None) -> str:
    """Bytes of a skill file → text, refusing oversized, binary and non-UTF-8 input."""
    if len(data) > MAX_SKILL_BYTES:
        raise SkillParseError(
            f"file is {len(data) / 1_048_576:.1f} MiB; skills are limited to "
            f"{MAX_SKILL_BYTES // 1_048_576} MiB",
            path=path,
        )
    if b"\x00" in data:
        raise SkillParseError(
            "binary file (contains NUL bytes), not a SKILL.md",
            path=path,
            line=data.count(b"\n", 0, data.index(b"\x00")) + 1,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SkillParseError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            path=path,
            line=line,
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_skill(text: str, *, path: str | None = None) -> Skill:
    """Parse SKILL.md text; raises SkillParseError only when no model can be built."""
    try:
        return _parse(text, path)
    except SkillParseError as exc:
        raise exc.with_path(path) if path else exc from None


def _parse(text: str, path: str | None) -> Skill:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = text.split("\n")
    start = _unwrap(raw_lines)
    fm_lines, body_start = _frontmatter.split(raw_lines, start)
    fm = _frontmatter.load(fm_lines, first_line=start + 2)
    lines, open_fence = _markdown.scan("\n".join(raw_lines[body_start:]), body_start + 1)
    diagnostics = list(fm.diagnostics)
    if open_fence is not None:
        diagnostics.append(
            Diagnostic.model_construct(
                severity="error",
                line=open_fence,
                rule="unterminated-fence",
                message="code fence opened here is never closed",
            )
        )
    sections: dict[str, Block] = {}
    for block in _markdown.blocks(lines, 2):
        # File order; a repeated title keeps its first section.
        sections.setdefault(slugify(block.title, 12), block)
    found = _Sections(sections)
    micro = found.pop(("micro-skills", "micro-skill"))
    micro_skills = _micro_skills(micro, diagnostics) if micro else []
    ambiguity = found.pop(("ask-when-ambiguous", "ask-when"))
    return Skill.model_construct(
        **fm.fields,
        frontmatter=fm.raw,
        title=_title(lines),
        context=found.text(("context",)),
        kernel=found.text(("kernel",)),
        micro_skills=micro_skills,
        inputs=_io(found.pop(("inputs",))),
        outputs=_io(found.pop(("outputs",))),
        scope=_scope(found.pop(("scope",))),
        guardrails=[
            Guardrail.model_construct(id=i, text=t, line=n)
            for i, t, n in _idd(found.pop(("guardrails",)))
        ],
        ambiguity=_ambiguity(ambiguity) if ambiguity else Ambiguity.model_construct(),
        decision_criteria=_decisions(found.pop(("decision-criteria",))),
        success_criteria=[
            Criterion.model_construct(id=i, text=t, line=n)
            for i, t, n in _idd(found.pop(("success-criteria",)), _unbox)
        ],
        failure_modes=_failures(found.pop(("failure-modes",))),
        audit_log=_audit(found.pop(("audit-log",))),
        edge_cases=[item.text for item in _items(found.pop(("edge-cases",)))],
        examples=found.text(("examples", "example")),
        sections={
            key: Section.model_construct(title=b.title, body=b.text, line=b.line)
            for key, b in sections.items()
        },
        diagnostics=diagnostics,
        path=path,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _unwrap(lines: list[str]) -> int:
    """Index of the opening '---'; skills published wrapped in a ```markdown fence are unwrapped.

    The closing wrapper fence is blanked in place so line numbers stay true to the file.
    """
    wrapper = _WRAPPER.match(lines[0]) if lines else None
    if not wrapper or len(lines) < 2 or lines[1].strip() != "---":
        return 0
    for index in range(len(lines) - 1, 1, -1):
        if lines[index].strip():
            if lines[index].strip() == wrapper.group(1):
                lines[index] = ""
            break
    return 1


class _Sections:
    """Look sections up by slug prefix (titles vary: 'Micro-Skills (orchestration steps)')."""

    def __init__(self, by_slug: dict[str, Block]) -> None:
        self._by_slug = by_slug

    def pop(self, prefixes: tuple[str, ...]) -> Block | None:
        # An exact title wins over a longer one ("Context" over an earlier "Context Budget").
        exact = next((self._by_slug[p] for p in prefixes if p in self._by_slug), None)
        if exact:
            return exact
        for slug, block in self._by_slug.items():
            if any(slug.startswith(p + "-") for p in prefixes):
                return block
        return None

    def text(self, prefixes: tuple[str, ...]) -> str:
        block = self.pop(prefixes)
        return block.text if block else ""


def _title(lines: list[Line]) -> str | None:
    for line in lines:
        found = _markdown.heading(line)
        if found and found[0] == 1:
            return _markdown.strip_md(found[1])
    return None


def _items(block: Block | None) -> list[_markdown.Item]:
    return _markdown.items(block.lines) if block else []


def _unbox(text: str) -> str:
    return re.sub(r"^\[[ xX]\]\s*", "", text).strip()


def _idd(
    block: Block | None, clean: Callable[[str], str] = str.strip
) -> list[tuple[str, str, int]]:
    """Items with slug ids derived from their own text."""
    found = [(clean(item.text), item.line) for item in _items(block)]
    found = [(text, line) for text, line in found if text]
    ids = unique_ids(_markdown.strip_md(text) for text, _ in found)
    return [(i, text, line) for i, (text, line) in zip(ids, found, strict=True)]


# -- Micro-Skills ----------------------------------------------------------------------------

_LABEL = re.compile(r"^\s*\*\*(Steps|Mode|Invokes|Inputs|Outputs):?\*\*:?\s*(.*)$", re.I)


def _micro_skills(section: Block, diagnostics: list[Diagnostic]) -> list[MicroSkill]:
    out: list[MicroSkill] = []
    first_line: dict[int, int] = {}
    titles: list[tuple[int, str, Mode | None, Block]] = []
    for block in _markdown.blocks(section.lines, 3):
        match = _MICRO_HEADING.match(block.title.strip())
        if not match:
            continue
        number = int(match.group(1))
        if number in first_line:
            diagnostics.append(
                Diagnostic.model_construct(
                    severity="error",
                    line=block.line,
                    rule="duplicate-micro-skill",
                    message=f"micro-skill number {number} is used twice "
                    f"(first at line {first_line[number]})",
                )
            )
        else:
            first_line[number] = block.line
        title, mode = _mode_from_title(match.group(2))
        titles.append((number, title, mode, block))
    ids = unique_ids((t for _, t, _, _ in titles), max_words=8)
    for slug, (number, title, mode, block) in zip(ids, titles, strict=True):
        labels, steps = _labels(block)
        label_mode = labels.get("mode", "").strip().lower()
        if label_mode in ("eco", "power"):
            mode = "eco" if label_mode == "eco" else "power"
        out.append(
            MicroSkill.model_construct(
                id=slug,
                number=number,
                title=title,
                mode=mode,
                steps=steps,
                body=block.text,
                invokes=_label_names(labels.get("invokes", "")),
                inputs=_label_names(labels.get("inputs", "")),
                outputs=_label_names(labels.get("outputs", "")),
                line=block.line,
            )
        )
    return out


def _label_names(text: str) -> list[str]:
    """Backticked names of an Invokes/Inputs/Outputs line.

    Parentheses annotate a name ("`decision` (`approve` | `block`)", "(or `auto`)"):
    the values and alternatives written there are not names of their own.
    """
    return _markdown.backticked(_PARENTHETICAL.sub("", text))


def _mode_from_title(title: str) -> tuple[str, Mode | None]:
    mode: Mode | None = None
    if "⚡" in title or re.search(r"\(power mode\)", title, re.I):
        mode = "power"
    elif "🌿" in title or re.search(r"\(eco mode\)", title, re.I):
        mode = "eco"
    clean = re.sub(r"[⚡🌿]|\((?:power|eco) mode\)", "", title, flags=re.I)
    return _markdown.strip_md(" ".join(clean.split())), mode


def _labels(block: Block) -> tuple[dict[str, str], str]:
    """Bold ``**Label:**`` lines and the markdown after ``**Steps:**`` (else the whole body)."""
    labels: dict[str, str] = {}
    steps_from: int | None = None
    for index, line in enumerate(block.lines):
        match = None if line.fenced else _LABEL.match(line.text)
        if not match:
            continue
        key = match.group(1).lower()
        labels[key] = match.group(2)
        if key == "steps" and steps_from is None:
            steps_from = index + 1
    body = block.lines[steps_from:] if steps_from is not None else block.lines
    return labels, _markdown.join(body)


# -- Tables and lists ------------------------------------------------------------------------


def _cell(row: dict[str, str], *names: str) -> str:
    for key, value in row.items():
        if any(key == n or key.startswith(n) for n in names):
            return value.strip()
    return ""


def _io(block: Block | None) -> list[IOField]:
    if not block:
        return []
    out: list[IOField] = []
    for row, line in _markdown.table(block.lines):
        name = _markdown.strip_md(_cell(row, "field", "name", "input", "output", "parameter"))
        if not name:
            name = _markdown.strip_md(next(iter(row.values()), ""))
        if not name:
            continue
        required = _cell(row, "required").strip().lower()
        out.append(
            IOField.model_construct(
                name=name,
                type=_markdown.strip_md(_cell(row, "type")) or "string",
                required=required not in ("no", "false", "optional", "n", "✗", "-"),
                description=_cell(row, "description", "desc", "purpose"),
                line=line,
            )
        )
    return out


def _scope(block: Block | None) -> Scope:
    if not block:
        return Scope.model_construct()
    in_lines, out_lines = _split_scope(block)
    ins = [_scope_item(i) for i in _markdown.items(in_lines)]
    outs = [_scope_item(i) for i in _markdown.items(out_lines)]
    delegates = list(dict.fromkeys(d for item in ins + outs for d in item.delegates))
    return Scope.model_construct(in_scope=ins, out_of_scope=outs, delegates=delegates)


def _split_scope(block: Block) -> tuple[list[Line], list[Line]]:
    target: list[Line] | None = None
    ins: list[Line] = []
    outs: list[Line] = []
    for line in block.lines:
        low = _markdown.strip_md(line.text.lstrip("#").strip()).lower().rstrip(":")
        if not line.fenced and (line.text.lstrip().startswith(("#", "**"))):
            if low.startswith(("in scope", "in-scope")):
                target = ins
                continue
            if low.startswith(("out of scope", "out-of-scope")):
                target = outs
                continue
        if target is not None:
            target.append(line)
    return ins, outs


def _scope_item(item: _markdown.Item) -> ScopeItem:
    match = _DELEGATE.search(item.text)
    delegates = _markdown.backticked(match.group(1)) if match else []
    return ScopeItem.model_construct(text=item.text, delegates=delegates, line=item.line)


def _decisions(block: Block | None) -> list[DecisionRule]:
    if not block:
        return []
    pairs: list[tuple[str, str, int]] = []
    for row, line in _markdown.table(block.lines):
        cells = list(row.values())
        situation = _cell(row, "situation", "condition", "when", "signal", "if") or (
            cells[0] if cells else ""
        )
        action = _cell(row, "action", "then", "decision", "response") or (
            cells[-1] if len(cells) > 1 else ""
        )
        if situation:
            pairs.append((situation, action, line))
    if not pairs:
        for item in _markdown.items(block.lines):
            situation, action = _arrow(item.text)
            pairs.append((situation, action, item.line))
    ids = unique_ids(_markdown.strip_md(s) for s, _, _ in pairs)
    return [
        DecisionRule.model_construct(id=i, situation=s, action=a, invokes=_invokes(a), line=n)
        for i, (s, a, n) in zip(ids, pairs, strict=True)
    ]


def _arrow(text: str) -> tuple[str, str]:
    """Split ``condition → consequence`` (or ``->``, else the first colon)."""
    parts = re.split(r"\s*(?:→|->)\s*", text, maxsplit=1)
    if len(parts) == 1:
        parts = text.split(":", 1) if ":" in text else [text, ""]
    return parts[0].strip(), parts[1].strip()


def _invokes(text: str) -> list[str]:
    match = _INVOKE.search(text)
    return _markdown.backticked(match.group(1)) if match else []


def _failures(block: Block | None) -> list[FailureMode]:
    if not block:
        return []
    rows = [
        (
            _cell(row, "failure", "mode") or next(iter(row.values()), ""),
            _cell(row, "symptom", "signal", "detection"),
            _cell(row, "mitigation", "recovery", "fix", "response"),
            line,
        )
        for row, line in _markdown.table(block.lines)
    ]
    if not rows:
        for item in _markdown.items(block.lines):
            failure, rest = _arrow(item.text)
            rows.append((failure, "", rest, item.line))
    rows = [r for r in rows if r[0]]
    ids = unique_ids(_markdown.strip_md(r[0]) for r in rows)
    return [
        FailureMode.model_construct(id=i, failure=f, symptom=s, mitigation=m, line=n)
        for i, (f, s, m, n) in zip(ids, rows, strict=True)
    ]


def _audit(block: Block | None) -> list[AuditEntry]:
    out: list[AuditEntry] = []
    for item in _items(block):
        match = _TIMESTAMP.match(item.text)
        if match:
            out.append(
                AuditEntry.model_construct(
                    timestamp=match.group(1), text=match.group(2).strip(), line=item.line
                )
            )
        else:
            out.append(AuditEntry.model_construct(text=item.text, line=item.line))
    return out


# -- Ask-When-Ambiguous ----------------------------------------------------------------------


def _ambiguity(block: Block) -> Ambiguity:
    trigger_items, question_items, flat = _ambiguity_parts(block)
    triggers: list[tuple[str, int]] = [(i.text, i.line) for i in trigger_items]
    questions: list[tuple[str, int, int | None]] = [
        (_unquote(i.text), i.line, None) for i in question_items
    ]
    for item in flat:
        match = _ASK.match(item.text)
        if match:
            triggers.append((match.group("cond").strip(), item.line))
            questions.append((_unquote(match.group("q")), item.line, len(triggers) - 1))
        else:
            triggers.append((item.text, item.line))
    trigger_ids = unique_ids(_markdown.strip_md(t) for t, _ in triggers)
    question_ids = unique_ids(_markdown.strip_md(q) for q, _, _ in questions)
    return Ambiguity.model_construct(
        triggers=[
            Trigger.model_construct(id=i, text=t, line=n)
            for i, (t, n) in zip(trigger_ids, triggers, strict=True)
        ],
        questions=[
            QuestionTemplate.model_construct(
                id=i,
                text=q,
                placeholders=_placeholders(q),
                line=n,
                trigger_id=trigger_ids[t] if t is not None else None,
            )
            for i, (q, n, t) in zip(question_ids, questions, strict=True)
        ],
    )


def _ambiguity_parts(
    block: Block,
) -> tuple[list[_markdown.Item], list[_markdown.Item], list[_markdown.Item]]:
    """Split into Triggers / Question Templates parts (headings or bold labels), else flat."""
    parts: dict[str, list[Line]] = {"flat": [], "triggers": [], "questions": []}
    target = "flat"
    for line in block.lines:
        label = _markdown.strip_md(line.text.lstrip("#").strip()).lower().rstrip(":")
        if not line.fenced and line.text.lstrip().startswith(("#", "**")):
            if label.startswith("trigger"):
                target = "triggers"
                continue
            if label.startswith("question"):
                target = "questions"
                continue
        parts[target].append(line)
    return (
        _markdown.items(parts["triggers"]),
        _markdown.items(parts["questions"]),
        _markdown.items(parts["flat"]),
    )


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in '"“' and text[-1] in '"”':
        return text[1:-1].strip()
    return text


def _placeholders(text: str) -> list[str]:
    names = (m.group(1).strip() for m in _PLACEHOLDER.finditer(text))
    return list(dict.fromkeys(n for n in names if n))
