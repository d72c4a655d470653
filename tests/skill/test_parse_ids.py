"""Ids are slugs of an item's own text: stable across re-parses and unrelated edits."""

from __future__ import annotations

from agent.skill.model import Skill
from agent.skill.parse import parse_skill, slugify

SKILL = """---
name: ids
---

# Ids

## Micro-Skills

### 1. Gather Facts

Look.

### 2. Gather Facts

Look again.

## Guardrails

- Never delete data
- Ask before deploying
- Never delete data
"""


def _all_ids(skill: Skill) -> list[str]:
    return (
        [m.id for m in skill.micro_skills]
        + [g.id for g in skill.guardrails]
        + [t.id for t in skill.ambiguity.triggers]
        + [q.id for q in skill.ambiguity.questions]
        + [r.id for r in skill.decision_criteria]
        + [c.id for c in skill.success_criteria]
        + [f.id for f in skill.failure_modes]
    )


def test_parsing_twice_gives_the_same_ids(seed_text: str) -> None:
    assert _all_ids(parse_skill(seed_text)) == _all_ids(parse_skill(seed_text))


def test_inserting_a_guardrail_at_the_top_keeps_the_other_ids(seed: Skill, seed_text: str) -> None:
    edited = seed_text.replace(
        "## Guardrails\n\n", "## Guardrails\n\n- Always page the on-call engineer first\n", 1
    )
    guardrails = parse_skill(edited).guardrails
    assert guardrails[0].id == "always-page-the-on-call-engineer"
    assert [g.id for g in guardrails[1:]] == [g.id for g in seed.guardrails]
    assert [g.line for g in guardrails[1:]] == [g.line + 1 for g in seed.guardrails]


def test_inserting_a_section_above_keeps_every_id(seed: Skill, seed_text: str) -> None:
    edited = seed_text.replace("## Context", "## Notes\n\n- unrelated\n\n## Context", 1)
    assert _all_ids(parse_skill(edited)) == _all_ids(seed)


def test_duplicate_guardrail_text_gets_a_numeric_suffix() -> None:
    assert [g.id for g in parse_skill(SKILL).guardrails] == [
        "never-delete-data",
        "ask-before-deploying",
        "never-delete-data-2",
    ]


def test_duplicate_micro_skill_titles_get_unique_ids() -> None:
    assert [m.id for m in parse_skill(SKILL).micro_skills] == ["gather-facts", "gather-facts-2"]


def test_ids_ignore_markdown_emphasis() -> None:
    skill = parse_skill("---\nname: x\n---\n## Guardrails\n\n- **Never** drop `tables`\n")
    assert skill.guardrails[0].id == "never-drop-tables"
    assert skill.guardrails[0].text == "**Never** drop `tables`"


def test_slugify_folds_accents_and_limits_words() -> None:
    assert slugify("Café Déjà Vu: one two three four", max_words=4) == "cafe-deja-vu-one"


def test_slugify_of_text_without_words_is_item() -> None:
    assert slugify("⚡ — ✓") == "item"
