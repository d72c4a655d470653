"""The policy file format: the shipped policy fits the seed; bad policies fail at path:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.skills import one_step_skill

from agent.errors import SkillParseError
from agent.skill.policy import (
    ApprovalRule,
    RequiresRule,
    load_policy,
    parse_policy,
    policy_problems,
)

SEED = Path(__file__).resolve().parents[2] / "skills" / "incident-response"

GOOD_RULE = """\
version: 1
rules:
  - id: a-before-b
    kind: order
    guardrail: g-order
    first: a
    then: b
    message: a first
"""


def _seed_policy():
    policy = load_policy(SEED / "SKILL.md")
    assert policy is not None
    return policy


def test_shipped_policy_names_only_guardrails_steps_and_outputs_of_the_seed() -> None:
    from agent.skill.parse import parse_skill

    skill = parse_skill((SEED / "SKILL.md").read_text(encoding="utf-8"))
    assert policy_problems(_seed_policy(), skill) == []


def test_policy_naming_unknown_ids_is_reported() -> None:
    skill = one_step_skill("a")
    policy = parse_policy(
        "rules:\n"
        "  - {id: r, kind: order, guardrail: nope, first: a, then: zz, message: m}\n"
        "judge: {guardrails: [g, gone]}\n"
    )
    assert policy_problems(policy, skill) == [
        "judge.guardrails: unknown guardrail id 'gone'",
        "rule 'r': unknown guardrail 'nope'",
        "rule 'r': unknown then 'zz'",
    ]


def test_shipped_policy_declares_each_rule_kind_the_issue_asks_for() -> None:
    kinds = {rule.kind for rule in _seed_policy().rules}
    assert kinds == {"order", "requires", "approval", "output", "preserve", "deadline", "reminder"}


def test_shipped_policy_requires_ic_approval_for_forward_fix_in_sev1_and_sev2() -> None:
    rule = next(r for r in _seed_policy().rules if isinstance(r, ApprovalRule))
    assert rule.action == "forward-fix"
    assert rule.when is not None
    assert rule.when.holds({"severity": "SEV1"})
    assert rule.when.holds({"severity": "SEV2"})
    assert not rule.when.holds({"severity": "SEV3"})
    assert "Incident Commander" in rule.approver


def test_shipped_policy_leaves_unruled_guardrails_to_the_judge() -> None:
    policy = _seed_policy()
    ids = ["blameless", *sorted(policy.ruled_guardrails())]
    assert policy.judged_guardrails(ids) == ["blameless"]


def test_explicit_judge_list_replaces_the_default() -> None:
    policy = parse_policy(GOOD_RULE + "judge:\n  guardrails: [g-order]\n")
    assert policy.judged_guardrails(["g-order", "other"]) == ["g-order"]


def test_skill_without_policy_file_has_no_policy(tmp_path: Path) -> None:
    (tmp_path / "SKILL.md").write_text("---\nname: x\n---\n", encoding="utf-8")
    assert load_policy(tmp_path / "SKILL.md") is None


def test_empty_policy_file_means_no_rules() -> None:
    policy = parse_policy("")
    assert policy.rules == []
    assert policy.judge.guardrails is None


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("rules:\n  - id: x\n    kind: a: b\n", 3, "invalid YAML"),
        ("- just\n- a list\n", 1, "mapping"),
        (GOOD_RULE.replace("kind: order", "kind: sometimes"), 3, "rules.0"),
        (GOOD_RULE.replace("    then: b\n", ""), 3, "rules.0.then"),
        (GOOD_RULE.replace("then: b", "then: b\n    befor: c"), 8, "befor"),
        (GOOD_RULE.replace("version: 1", "version: 2"), 1, "version"),
        (
            GOOD_RULE
            + "  - id: o\n    kind: output\n    guardrail: g\n    output: p\n"
            + "    pattern: '(['\n    message: m\n",
            13,
            "invalid regex",
        ),
        (GOOD_RULE + GOOD_RULE.split("rules:\n", 1)[1], 9, "duplicate rule id"),
    ],
    ids=[
        "yaml",
        "not-mapping",
        "unknown-kind",
        "missing-field",
        "unknown-key",
        "version",
        "regex",
        "duplicate",
    ],
)
def test_bad_policy_raises_parse_error_with_path_and_line(
    text: str, line: int, fragment: str
) -> None:
    with pytest.raises(SkillParseError) as caught:
        parse_policy(text, path="skills/x/policy.yaml")
    assert caught.value.path == "skills/x/policy.yaml"
    assert caught.value.line == line
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"skills/x/policy.yaml:{line}: ")


def test_load_policy_reports_the_policy_file_path(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("rules: [1, 2\n", encoding="utf-8")
    with pytest.raises(SkillParseError) as caught:
        load_policy(tmp_path)
    assert caught.value.path == str(tmp_path / "policy.yaml")


def test_a_requires_rule_may_ask_a_human_for_its_fact_with_choices() -> None:
    policy = parse_policy(
        "rules:\n"
        "  - id: sev\n"
        "    kind: requires\n"
        "    guardrail: g\n"
        "    fact: severity\n"
        "    before: b\n"
        "    produced_by: a\n"
        "    message: m\n"
        "    ask: {question: Which level?, options: [SEV1, SEV2]}\n"
    )
    (rule,) = policy.rules
    assert isinstance(rule, RequiresRule)
    assert rule.ask is not None
    assert (rule.ask.question, rule.ask.options) == ("Which level?", ["SEV1", "SEV2"])


def test_asking_for_a_fact_needs_the_step_that_owes_it() -> None:
    skill = one_step_skill("b")
    policy = parse_policy(
        "rules:\n"
        "  - {id: sev, kind: requires, guardrail: g, fact: f, before: b, message: m,\n"
        "     ask: {question: Which?}}\n"
    )
    assert policy_problems(policy, skill) == ["rule 'sev': ask needs produced_by (the step asked)"]
