"""Frontmatter in every corpus style ends up in the same typed fields, nothing dropped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.skill.model import Skill
from agent.skill.parse import parse_skill

THREAT_MODELING = Path("garden-v4/100-engineering/60-security/threat-modeling/SKILL.md")
GARDEN_V3_SKILL = Path("garden-v3/60-security/threat-modeling.md")


def test_garden_v4_metadata_block_is_mapped(
    corpus: Path, read_skill: Callable[[Path], Skill]
) -> None:
    skill = read_skill(corpus / THREAT_MODELING)
    assert skill.version == "1.0.0"
    assert skill.dependencies == ["constitution", "scratchpad", "system-design"]
    assert skill.reasoning_mode == "plan-execute"
    assert skill.skill_type == "standard"


def test_garden_v4_top_level_fields(corpus: Path, read_skill: Callable[[Path], Skill]) -> None:
    skill = read_skill(corpus / THREAT_MODELING)
    assert skill.license == "Apache-2.0"
    assert (skill.compatibility or "").startswith("Designed for")
    assert skill.domain == "engineering"
    assert skill.status == "published"
    assert skill.tags == ["category", "design", "security", "safety-critical"]
    assert skill.keywords[:3] == ["stride", "dfd", "trust boundary"]


def test_garden_v4_frontmatter_kept_as_written(
    corpus: Path, read_skill: Callable[[Path], Skill]
) -> None:
    skill = read_skill(corpus / THREAT_MODELING)
    metadata = skill.frontmatter["metadata"]
    assert metadata["dependencies"] == "constitution, scratchpad, system-design"


def test_garden_v3_top_level_fields(corpus: Path, read_skill: Callable[[Path], Skill]) -> None:
    skill = read_skill(corpus / GARDEN_V3_SKILL)
    assert skill.version == "1.0.0"
    assert skill.dependencies == ["constitution", "scratchpad", "system-design"]
    assert skill.reasoning_mode == "plan-execute"
    assert skill.skill_type is None


def test_unknown_keys_are_preserved() -> None:
    skill = parse_skill("---\nname: x\nowner: team-a\nlimits: {tokens: 5}\n---\n")
    assert skill.frontmatter["owner"] == "team-a"
    assert skill.frontmatter["limits"] == {"tokens": 5}
    assert skill.diagnostics == []


def test_plain_agent_skills_file_has_no_micro_skills() -> None:
    skill = parse_skill("---\nname: pdf\ndescription: Read PDFs.\n---\n\n# PDF\n\nUse it.\n")
    assert (skill.name, skill.description, skill.title) == ("pdf", "Read PDFs.", "PDF")
    assert not skill.has_micro_skills
    assert skill.version is None
    assert skill.dependencies == []


def test_float_version_becomes_a_string() -> None:
    assert parse_skill("---\nname: x\nversion: 1.0\n---\n").version == "1.0"


def test_integer_version_becomes_a_string() -> None:
    assert parse_skill("---\nname: x\nmetadata:\n  version: 2\n---\n").version == "2"


def test_folded_description_is_one_line() -> None:
    skill = parse_skill("---\nname: x\ndescription: >\n  two\n  lines\n---\n")
    assert skill.description == "two lines"


def test_allowed_tools_space_separated_string() -> None:
    skill = parse_skill("---\nname: x\nallowed-tools: Read Grep  Bash\n---\n")
    assert skill.allowed_tools == ["Read", "Grep", "Bash"]


def test_allowed_tools_comma_separated_string() -> None:
    skill = parse_skill("---\nname: x\nallowed-tools: Read, Grep\n---\n")
    assert skill.allowed_tools == ["Read", "Grep"]


def test_allowed_tools_list() -> None:
    skill = parse_skill("---\nname: x\nallowed-tools:\n  - Read\n  - Grep\n---\n")
    assert skill.allowed_tools == ["Read", "Grep"]


def test_top_level_key_wins_over_metadata() -> None:
    skill = parse_skill("---\nname: x\nversion: '2.0'\nmetadata:\n  version: '1.0'\n---\n")
    assert skill.version == "2.0"


def test_metadata_that_is_not_a_mapping_is_a_diagnostic() -> None:
    skill = parse_skill("---\nname: x\nmetadata: just text\n---\n")
    [diag] = skill.diagnostics
    assert (diag.rule, diag.line) == ("frontmatter-type", 3)
    assert "'metadata' must be a mapping" in diag.message


def test_dates_in_frontmatter_are_kept_as_iso_strings() -> None:
    skill = parse_skill("---\nname: x\ncreated: 2025-02-21\n---\n")
    assert skill.frontmatter["created"] == "2025-02-21"


def test_markdown_wrapped_file_keeps_true_line_numbers() -> None:
    text = "```markdown\n---\nname: x\n---\n\n# X\n\n## Guardrails\n\n- Be safe\n```\n"
    skill = parse_skill(text)
    assert skill.guardrails[0].line == 10
    assert skill.guardrails[0].text == "Be safe"
    assert skill.diagnostics == []


def test_four_backtick_wrapper_is_unwrapped() -> None:
    text = "````markdown\n---\nname: x\n---\n\n## Context\n\n```sh\nls\n```\n````\n"
    skill = parse_skill(text)
    assert skill.context == "```sh\nls\n```"
    assert skill.diagnostics == []
