"""Each lint rule fires on a minimal bad skill and stays quiet on good ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.skill.library import SKILL_FILE, Library, load_skill, skill_name_for
from agent.skill.lint import lint
from agent.skill.model import (
    Ambiguity,
    Criterion,
    Diagnostic,
    Guardrail,
    MicroSkill,
    QuestionTemplate,
    Section,
    Skill,
)

REPO = Path(__file__).resolve().parents[2]
SKILLS = REPO / "skills"
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
GARDENS = (CORPUS / "garden-v3", CORPUS / "garden-v4")


def make(**fields: Any) -> Skill:
    """A minimal linear skill that passes every rule, with ``fields`` overridden."""
    base: dict[str, Any] = {
        "name": "good-skill",
        "description": "Does one thing.",
        "content_hash": "0",
    }
    return Skill(**{**base, **fields})


def plan_execute(**fields: Any) -> Skill:
    return make(
        reasoning_mode="plan-execute",
        micro_skills=[
            MicroSkill(id="step", number=1, title="Step", steps="1. do", body="", line=10)
        ],
        guardrails=[Guardrail(id="never", text="Never do harm", line=20)],
        success_criteria=[Criterion(id="done", text="Done", line=30)],
        **fields,
    )


def rules(diagnostics: list[Diagnostic], severity: str = "error") -> list[str]:
    return [d.rule for d in diagnostics if d.severity == severity]


def question(text: str) -> Ambiguity:
    return Ambiguity(questions=[QuestionTemplate(id="q", text=text, line=42)])


def all_skill_files() -> list[Path]:
    roots = [SKILLS, *GARDENS]
    return [p for root in roots for p in sorted(root.rglob("*.md")) if p.name != "README.md"]


def test_minimal_good_skills_have_no_diagnostics() -> None:
    assert lint(make(), folder_name="good-skill", available=lambda _: True) == []
    assert lint(plan_execute()) == []


@pytest.mark.parametrize(
    "name", ["Bad-Name", "-lead", "trail-", "double--hyphen", "under_score", "a" * 65]
)
def test_name_outside_the_agent_skills_format_is_an_error(name: str) -> None:
    found = rules(lint(make(name=name)))
    assert found
    assert set(found) <= {"name-format", "name-length"}


def test_name_must_match_its_folder() -> None:
    assert rules(lint(make(), folder_name="other-folder")) == ["name-folder-mismatch"]


def test_empty_description_is_an_error() -> None:
    assert rules(lint(make(description="  "))) == ["description"]


def test_description_over_1024_characters_is_an_error() -> None:
    assert rules(lint(make(description="x" * 1025))) == ["description-length"]
    assert rules(lint(make(description="x" * 1024))) == []


def test_wrongly_typed_frontmatter_key_is_an_error() -> None:
    skill = make(frontmatter={"name": "good-skill", "tags": {"a": 1}, "metadata": {"version": []}})
    assert rules(lint(skill)) == ["frontmatter-type", "frontmatter-type"]


def test_frontmatter_type_already_reported_by_the_parser_is_not_repeated() -> None:
    parser_said = Diagnostic(
        severity="error",
        line=3,
        message="'tags' must be a list",
        rule="frontmatter-type",
    )
    skill = make(frontmatter={"tags": {"a": 1}}, diagnostics=[parser_said])
    assert rules(lint(skill)) == []


def test_unavailable_dependency_is_an_error() -> None:
    skill = make(dependencies=["constitution", "ghost"])
    found = lint(skill, available=lambda name: name == "constitution")
    assert rules(found) == ["missing-dependency"]
    assert "ghost" in found[0].message


@pytest.mark.parametrize(
    ("missing", "rule"),
    [
        ("micro_skills", "missing-micro-skills"),
        ("guardrails", "missing-guardrails"),
        ("success_criteria", "missing-success-criteria"),
    ],
)
def test_plan_execute_skill_needs_its_required_sections(missing: str, rule: str) -> None:
    skill = plan_execute().model_copy(update={missing: []})
    assert rules(lint(skill)) == [rule]


def test_empty_guardrails_section_in_a_linear_skill_is_a_warning() -> None:
    skill = make(sections={"guardrails": Section(title="Guardrails", body="", line=12)})
    found = lint(skill)
    assert rules(found) == []
    assert [(d.rule, d.line) for d in found] == [("empty-section", 12)]


def test_empty_placeholder_is_an_error() -> None:
    assert rules(lint(make(ambiguity=question("Which {} should I pick?")))) == [
        "question-placeholder"
    ]


@pytest.mark.parametrize("text", ["Pick {service", "Pick service}", "Pick {outer {inner} }"])
def test_unbalanced_braces_are_an_error(text: str) -> None:
    assert rules(lint(make(ambiguity=question(text)))) == ["question-placeholder"]


def test_non_identifier_placeholder_is_a_warning() -> None:
    found = lint(make(ambiguity=question("Refactor `{global/singleton}` or mock it?")))
    assert rules(found) == []
    assert rules(found, "warning") == ["placeholder-name"]


def test_identifier_placeholders_pass() -> None:
    assert lint(make(ambiguity=question("Restore `{service_list}` in {region} first?"))) == []
    assert lint(make(ambiguity=question("Review all {{module_count}} modules?"))) == []


@pytest.mark.parametrize(
    "path", all_skill_files(), ids=lambda p: str(p).split("corpus/")[-1].split("main/")[-1]
)
def test_project_and_corpus_skills_have_no_lint_errors(path: Path) -> None:
    # The corpus is a subset of its garden and names dependencies it does not ship,
    # so dependencies are only checked for the project's own skills.
    available = Library([SKILLS]).has if SKILLS in path.parents else None
    folder = skill_name_for(path) if path.name == SKILL_FILE else None
    found = lint(load_skill(path), folder_name=folder, available=available)
    assert [d for d in found if d.severity == "error"] == []
