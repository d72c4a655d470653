"""Rules a parsed skill must follow beyond being parseable (pure: no file access).

The parser reports what it meets while reading (duplicate step numbers, an open
code fence, a frontmatter value of the wrong type); these rules judge the finished
model. Errors make ``skillweave validate`` fail; warnings are advice.

Severity choice for empty sections: a plan-execute skill with no guardrails or no
success criteria is an error, because the guardrail checker and the auditor would
have nothing to hold the run to. In any other skill a Guardrails or Success
Criteria heading with nothing under it is only a warning: nothing executes from it,
but it usually means the author forgot to fill it in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from agent.errors import SkillParseError
from agent.skill import _yaml
from agent.skill.model import Diagnostic, Severity, Skill
from agent.skill.policy import Policy, line_of, parse_policy, policy_problems

# Agent Skills spec: lowercase alphanumerics and single inner hyphens, at most 64 chars.
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_NAME = 64
_MAX_DESCRIPTION = 1024
_BRACES = re.compile(r"\{([^{}]*)\}")
_FRONTMATTER_LINE = 1  # the model keeps no per-key lines; point at the frontmatter

_STRING_KEYS = ("description", "license", "compatibility", "domain", "status", "reasoning_mode")
_LIST_OR_STRING_KEYS = ("dependencies", "tags", "keywords", "allowed-tools")

Rule = Callable[["_Context"], Iterator[Diagnostic]]

POLICY_RULE = "policy"
POLICY_REFERENCE_RULE = "policy-reference"
# Policy rule fields that name a guardrail, step or output of the skill.
_POLICY_NAME_KEYS = ("guardrail", "first", "then", "before", "produced_by", "step", "output")


class _Context:
    """What every rule may look at: the skill and the optional caller knowledge."""

    def __init__(
        self, skill: Skill, folder_name: str | None, available: Callable[[str], bool] | None
    ) -> None:
        self.skill = skill
        self.folder_name = folder_name
        self.available = available


def _diag(severity: Severity, line: int, message: str, rule: str) -> Diagnostic:
    return Diagnostic.model_construct(severity=severity, line=line, message=message, rule=rule)


def _section_line(skill: Skill, key: str) -> int:
    section = skill.sections.get(key)
    return section.line if section else _FRONTMATTER_LINE


def check_name(ctx: _Context) -> Iterator[Diagnostic]:
    """Agent Skills spec name format, so skills are addressable on every runtime."""
    name = ctx.skill.name
    if len(name) > _MAX_NAME:
        yield _diag(
            "error",
            _FRONTMATTER_LINE,
            f"name '{name}' is {len(name)} characters; the limit is {_MAX_NAME}",
            "name-length",
        )
    if not _NAME.fullmatch(name):
        yield _diag(
            "error",
            _FRONTMATTER_LINE,
            f"name '{name}' must be lowercase letters, digits and single hyphens "
            "(no leading, trailing or double hyphen)",
            "name-format",
        )


def check_folder(ctx: _Context) -> Iterator[Diagnostic]:
    """A ``NAME/SKILL.md`` is found by its folder, so the two must agree."""
    if ctx.folder_name is not None and ctx.folder_name != ctx.skill.name:
        yield _diag(
            "error",
            _FRONTMATTER_LINE,
            f"name '{ctx.skill.name}' does not match its folder '{ctx.folder_name}'",
            "name-folder-mismatch",
        )


def check_description(ctx: _Context) -> Iterator[Diagnostic]:
    """The description is what routers and humans choose a skill by."""
    description = ctx.skill.description.strip()
    if not description:
        yield _diag("error", _FRONTMATTER_LINE, "description is missing or empty", "description")
    elif len(description) > _MAX_DESCRIPTION:
        yield _diag(
            "error",
            _FRONTMATTER_LINE,
            f"description is {len(description)} characters; the limit is {_MAX_DESCRIPTION}",
            "description-length",
        )


def check_frontmatter_types(ctx: _Context) -> Iterator[Diagnostic]:
    """Catch wrongly typed keys the parser did not already report."""
    already = " ".join(d.message for d in ctx.skill.diagnostics if d.rule == "frontmatter-type")
    for key, value in _typed_keys(ctx.skill.frontmatter):
        if key.removeprefix("metadata.") in already:
            continue  # the parser reported this key already
        expected = _expected_type(key, value)
        if expected:
            yield _diag(
                "error",
                _FRONTMATTER_LINE,
                f"frontmatter key '{key}' should be {expected}, got {type(value).__name__}",
                "frontmatter-type",
            )


def _typed_keys(frontmatter: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield from frontmatter.items()
    metadata = frontmatter.get("metadata")
    if isinstance(metadata, dict):
        yield from ((f"metadata.{k}", v) for k, v in metadata.items())


def _expected_type(key: str, value: Any) -> str | None:
    base = key.removeprefix("metadata.")
    if value is None:
        return None
    if base in _STRING_KEYS and not isinstance(value, str):
        return "a string"
    if base == "version" and not isinstance(value, str | int | float):
        return "a string"
    if base in _LIST_OR_STRING_KEYS and not (
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    ):
        return "a list of strings or a comma-separated string"
    if key == "metadata" and not isinstance(value, dict):
        return "a mapping"
    return None


def check_dependencies(ctx: _Context) -> Iterator[Diagnostic]:
    """A dependency that cannot be found makes the skill unrunnable."""
    if ctx.available is None:
        return
    for dep in ctx.skill.dependencies:
        if not ctx.available(dep):
            yield _diag(
                "error",
                _FRONTMATTER_LINE,
                f"dependency '{dep}' is not on the skills path",
                "missing-dependency",
            )


def check_plan_execute_sections(ctx: _Context) -> Iterator[Diagnostic]:
    """plan-execute skills compile to a graph that needs steps, rules and a finish line."""
    skill = ctx.skill
    if skill.reasoning_mode != "plan-execute":
        return
    required = (
        ("micro-skills", skill.micro_skills, "Micro-Skills"),
        ("guardrails", skill.guardrails, "Guardrails"),
        ("success-criteria", skill.success_criteria, "Success Criteria"),
    )
    for key, items, title in required:
        if not items:
            state = "is empty" if key in skill.sections else "is missing"
            yield _diag(
                "error",
                _section_line(skill, key),
                f"plan-execute skill: the {title} section {state}",
                f"missing-{key}",
            )


def check_empty_sections(ctx: _Context) -> Iterator[Diagnostic]:
    """An empty Guardrails/Success Criteria heading outside plan-execute (see module doc)."""
    skill = ctx.skill
    if skill.reasoning_mode == "plan-execute":
        return  # check_plan_execute_sections reports these as errors
    for key, items, title in (
        ("guardrails", skill.guardrails, "Guardrails"),
        ("success-criteria", skill.success_criteria, "Success Criteria"),
    ):
        if key in skill.sections and not items:
            yield _diag(
                "warning",
                skill.sections[key].line,
                f"the {title} section has no items",
                "empty-section",
            )


def check_question_templates(ctx: _Context) -> Iterator[Diagnostic]:
    """Placeholders are filled from run findings: they must be well formed to be fillable."""
    for question in ctx.skill.ambiguity.questions:
        # Mustache-style ``{{name}}`` is a placeholder too (the corpus uses both styles).
        text = question.text.replace("{{", "{").replace("}}", "}")
        if _unbalanced(text):
            yield _diag(
                "error",
                question.line,
                f"question template has unbalanced braces: {text}",
                "question-placeholder",
            )
            continue
        for inner in _BRACES.findall(text):
            name = inner.strip().strip("`").strip()
            if not name:
                yield _diag(
                    "error",
                    question.line,
                    f"question template has an empty placeholder '{{}}': {text}",
                    "question-placeholder",
                )
            elif not name.isidentifier():
                yield _diag(
                    "warning",
                    question.line,
                    f"placeholder '{{{inner}}}' is not an identifier; it cannot be filled by name",
                    "placeholder-name",
                )


def _unbalanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char == "{":
            depth += 1
            if depth > 1:
                return True  # nested braces are not a placeholder either
        elif char == "}":
            depth -= 1
            if depth < 0:
                return True
    return depth != 0


RULES: tuple[Rule, ...] = (
    check_name,
    check_folder,
    check_description,
    check_frontmatter_types,
    check_dependencies,
    check_plan_execute_sections,
    check_empty_sections,
    check_question_templates,
)


def lint(
    skill: Skill,
    *,
    folder_name: str | None = None,
    available: Callable[[str], bool] | None = None,
) -> list[Diagnostic]:
    """Diagnostics from every rule, sorted by line; parser diagnostics are not repeated."""
    ctx = _Context(skill, folder_name, available)
    found = [d for rule in RULES for d in rule(ctx)]
    return sorted(found, key=lambda d: d.line)


def lint_policy(text: str, skill: Skill, *, path: str | None = None) -> list[Diagnostic]:
    """Check a skill's ``policy.yaml`` text against the skill; lines are the policy's.

    A rule naming a step, guardrail or output the skill lacks would silently never
    fire at run time, so it is an error here rather than a surprise there.
    """
    try:
        policy = parse_policy(text, path=path)
    except SkillParseError as exc:
        return [_diag("error", exc.line or 1, f"malformed policy: {exc.reason}", POLICY_RULE)]
    root = _yaml.compose(text)
    found = [
        _diag("error", _problem_line(problem, policy, root), problem, POLICY_REFERENCE_RULE)
        for problem in policy_problems(policy, skill)
    ]
    return sorted(found, key=lambda d: d.line)


def _problem_line(problem: str, policy: Policy, root: yaml.Node | None) -> int:
    """The line of the value a problem names: the rule's offending key, else the rule."""
    for index, rule in enumerate(policy.rules):
        if problem.startswith(f"rule {rule.id!r}:"):
            key = next(
                (
                    k
                    for k in _POLICY_NAME_KEYS
                    if problem.endswith(f"unknown {k} {getattr(rule, k, None)!r}")
                ),
                "id",
            )
            return line_of(root, ["rules", index, key]) or 1
    for index, guardrail in enumerate(policy.judge.guardrails or []):
        if problem.startswith("judge.guardrails") and problem.endswith(repr(guardrail)):
            return line_of(root, ["judge", "guardrails", index]) or 1
    return 1
