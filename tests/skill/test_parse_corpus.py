"""Every third-party corpus file parses cleanly, and its counts match a naive reading."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from agent.skill.model import Skill

# Which level-2 sections the naive counter looks at, and what it counts in each.
_MICRO = re.compile(r"^### \d+[.)]")
_BULLET = re.compile(r"^(?:[-*]|\d+\.) ")


def naive_counts(text: str) -> Counter[str]:
    """Count micro-skill headings, guardrail bullets and success-criteria bullets.

    Deliberately simple and independent of the parser: top-level lines only, code
    fences skipped, a file wrapped in a ```markdown fence unwrapped.
    """
    lines = text.split("\n")
    if lines[0].startswith("```"):
        lines = lines[1:]
    counts: Counter[str] = Counter()
    section = ""
    in_fence = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if line.startswith("## "):
            section = line[3:].strip().lower()
        elif section.startswith("micro-skills") and _MICRO.match(line):
            counts["micro_skills"] += 1
        elif section == "guardrails" and _BULLET.match(line):
            counts["guardrails"] += 1
        elif section == "success criteria" and _BULLET.match(line):
            counts["success_criteria"] += 1
    return counts


def parsed_counts(skill: Skill) -> Counter[str]:
    return Counter(
        micro_skills=len(skill.micro_skills),
        guardrails=len(skill.guardrails),
        success_criteria=len(skill.success_criteria),
    )


def test_corpus_file_parses_without_errors(
    corpus_path: Path, read_skill: Callable[[Path], Skill]
) -> None:
    skill = read_skill(corpus_path)
    assert [d for d in skill.diagnostics if d.severity == "error"] == []


def test_corpus_counts_match_a_naive_reading(
    corpus_path: Path, read_skill: Callable[[Path], Skill]
) -> None:
    text = corpus_path.read_text(encoding="utf-8")
    assert parsed_counts(read_skill(corpus_path)) == naive_counts(text)


def test_corpus_micro_skill_numbers_count_up_by_one(
    corpus_path: Path, read_skill: Callable[[Path], Skill]
) -> None:
    numbers = [m.number for m in read_skill(corpus_path).micro_skills]
    start = numbers[0] if numbers else 0
    assert numbers == list(range(start, start + len(numbers)))


def test_corpus_micro_skill_lines_point_at_their_headings(
    corpus_path: Path, read_skill: Callable[[Path], Skill]
) -> None:
    lines = corpus_path.read_text(encoding="utf-8").split("\n")
    for micro in read_skill(corpus_path).micro_skills:
        assert lines[micro.line - 1].startswith(f"### {micro.number}.")


def test_corpus_guardrail_lines_point_at_their_bullets(
    corpus_path: Path, read_skill: Callable[[Path], Skill]
) -> None:
    lines = corpus_path.read_text(encoding="utf-8").split("\n")
    for guardrail in read_skill(corpus_path).guardrails:
        bullet = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", lines[guardrail.line - 1])
        assert bullet.startswith(guardrail.text[:20])


def test_corpus_title_is_the_first_level_one_heading(
    corpus_path: Path, read_skill: Callable[[Path], Skill]
) -> None:
    text = corpus_path.read_text(encoding="utf-8")
    first = re.search(r"^# (.+)$", text, re.M)
    assert first is not None
    assert read_skill(corpus_path).title == first.group(1).strip()
