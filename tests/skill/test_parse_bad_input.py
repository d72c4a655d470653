"""Input the parser cannot model raises SkillParseError naming the line; the rest is diagnosed."""

from __future__ import annotations

import pytest

from agent.errors import SkillParseError, UserError
from agent.skill.parse import MAX_SKILL_BYTES, decode_skill, parse_skill

PATH = "skills/broken/SKILL.md"


def _error(text: str) -> SkillParseError:
    with pytest.raises(SkillParseError) as info:
        parse_skill(text, path=PATH)
    return info.value


def _decode_error(data: bytes) -> SkillParseError:
    with pytest.raises(SkillParseError) as info:
        decode_skill(data, path=PATH)
    return info.value


def test_parse_error_is_a_user_error_rendered_as_path_and_line() -> None:
    error = _error("no frontmatter here\n")
    assert isinstance(error, UserError)
    assert str(error).startswith(f"{PATH}:1: ")


def test_malformed_yaml_points_at_the_bad_line() -> None:
    error = _error("---\nname: x\ndescription: d\nbad: : :\n---\n# X\n")
    assert error.line == 4
    assert "malformed YAML in frontmatter" in error.reason
    assert "mapping values are not allowed" in error.reason


def test_unclosed_yaml_list_points_inside_the_frontmatter() -> None:
    error = _error("---\nname: x\ndescription: [unclosed\nversion: 1\n---\n# X\n")
    assert error.line in (3, 4)
    assert "malformed YAML" in error.reason


def test_malformed_yaml_line_is_offset_by_a_markdown_wrapper() -> None:
    error = _error("```markdown\n---\nname: x\nbad: : :\n---\n# X\n```\n")
    assert error.line == 4


def test_missing_frontmatter() -> None:
    error = _error("# Just a heading\n\nSome text.\n")
    assert error.line == 1
    assert "missing frontmatter" in error.reason
    assert "'---'" in error.reason


def test_empty_text_is_missing_frontmatter() -> None:
    assert "missing frontmatter" in _error("").reason


def test_unterminated_frontmatter() -> None:
    error = _error("---\nname: x\ndescription: y\n# X\n")
    assert error.line == 1
    assert "unterminated frontmatter" in error.reason


def test_non_mapping_frontmatter() -> None:
    error = _error("---\n- name\n- description\n---\n# X\n")
    assert error.line == 2
    assert "must be a mapping" in error.reason
    assert "list" in error.reason


def test_missing_name() -> None:
    error = _error("---\ndescription: no name\n---\n# X\n")
    assert error.line == 1
    assert "no 'name'" in error.reason


def test_non_string_name_points_at_the_name_line() -> None:
    error = _error("---\ndescription: d\nname: [a, b]\n---\n# X\n")
    assert error.line == 3
    assert "'name' must be a string" in error.reason
    assert "list" in error.reason


def test_empty_name() -> None:
    error = _error('---\nname: "  "\n---\n')
    assert error.line == 2
    assert "'name' is empty" in error.reason


def test_non_utf8_bytes_name_the_offset_and_line() -> None:
    data = b"---\nname: x\n---\ncaf\xe9\n"
    offset = data.index(0xE9)
    error = _decode_error(data)
    assert error.line == 4
    assert f"offset {offset}" in error.reason
    assert "UTF-8" in error.reason


def test_binary_bytes_are_refused() -> None:
    error = _decode_error(b"---\nname: x\n\x00\x01\x02")
    assert error.line == 3
    assert "binary" in error.reason


def test_ten_megabyte_input_is_refused_with_size_and_limit() -> None:
    error = _decode_error(b"a" * (10 * 1024 * 1024))
    assert "10.0 MiB" in error.reason
    assert f"{MAX_SKILL_BYTES // (1024 * 1024)} MiB" in error.reason


def test_input_at_the_limit_is_accepted() -> None:
    assert len(decode_skill(b"a" * MAX_SKILL_BYTES)) == MAX_SKILL_BYTES


def test_decode_strips_bom_and_normalizes_crlf() -> None:
    assert decode_skill(b"\xef\xbb\xbf---\r\nname: x\r\n---\r\n") == "---\nname: x\n---\n"


def test_unterminated_code_fence_is_a_diagnostic_at_the_opening_line() -> None:
    skill = parse_skill("---\nname: x\n---\n# X\n\n## Context\n\n```python\nprint(1)\n")
    [diag] = skill.diagnostics
    assert (diag.severity, diag.rule, diag.line) == ("error", "unterminated-fence", 8)
    assert "never closed" in diag.message


def test_duplicate_micro_skill_number_is_a_diagnostic_at_the_second_heading() -> None:
    text = (
        "---\nname: x\n---\n# X\n\n## Micro-Skills\n\n"
        "### 1. First\n\nDo it.\n\n### 1. Second\n\nDo more.\n"
    )
    skill = parse_skill(text)
    [diag] = skill.diagnostics
    assert (diag.severity, diag.rule, diag.line) == ("error", "duplicate-micro-skill", 12)
    assert "number 1 is used twice (first at line 8)" in diag.message
    assert [m.id for m in skill.micro_skills] == ["first", "second"]


def test_wrong_frontmatter_type_is_a_diagnostic_at_its_key() -> None:
    skill = parse_skill("---\nname: x\nversion: [1, 2]\ntags: {a: b}\n---\n")
    assert [(d.rule, d.line) for d in skill.diagnostics] == [
        ("frontmatter-type", 3),
        ("frontmatter-type", 4),
    ]
    assert "'version' must be" in skill.diagnostics[0].message


def test_recursive_yaml_alias_is_a_parse_error() -> None:
    error = _error("---\nname: x\nloop: &a [*a]\n---\n")
    assert "recursive YAML alias" in error.reason
