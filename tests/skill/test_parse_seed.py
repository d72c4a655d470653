"""Exact expectations for the seed skill, skills/incident-response/SKILL.md."""

from __future__ import annotations

from agent.skill.model import Skill


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first source line containing ``needle``."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


def test_frontmatter_fields(seed: Skill) -> None:
    assert seed.name == "incident-response"
    assert seed.version == "1.0.0"
    assert seed.reasoning_mode == "plan-execute"
    assert seed.dependencies == ["constitution", "scratchpad", "auditor"]
    assert seed.description.startswith("Structured steps to triage")


def test_title_is_the_level_one_heading(seed: Skill) -> None:
    assert seed.title == "Incident Response"


def test_micro_skill_ids_numbers_and_modes(seed: Skill) -> None:
    assert [m.id for m in seed.micro_skills] == [
        "severity-classification",
        "triage",
        "mitigate",
        "postmortem",
    ]
    assert [m.number for m in seed.micro_skills] == [1, 2, 3, 4]
    assert {m.mode for m in seed.micro_skills} == {"power"}
    assert seed.has_micro_skills


def test_micro_skill_titles_drop_the_mode_marker(seed: Skill) -> None:
    assert seed.micro_skills[0].title == "Severity Classification"


def test_micro_skill_lines_point_at_their_headings(seed: Skill, seed_text: str) -> None:
    assert seed.micro_skills[1].line == _line_of(seed_text, "### 2. Triage")


def test_severity_table_kept_in_step_one(seed: Skill) -> None:
    steps = seed.micro_skills[0].steps
    assert "| **SEV1** | Full outage, data loss       | Immediate     |" in steps
    assert steps.startswith("1. Assess the incident:")
    assert "**Steps:**" not in steps


def test_postmortem_template_fence_stays_in_step_four(seed: Skill) -> None:
    steps = seed.micro_skills[3].steps
    assert "## Incident Postmortem — [Title]" in steps
    assert "### Lessons Learned" in steps
    assert steps.rstrip().endswith("2. Share with the team and track action items.")
    assert "incident-postmortem-title" not in seed.sections


def test_nested_list_kept_in_triage_steps(seed: Skill) -> None:
    assert "   - Recent log entries (filter by `level=error`)." in seed.micro_skills[1].steps


def test_eight_guardrails_with_their_text(seed: Skill, seed_text: str) -> None:
    assert len(seed.guardrails) == 8
    first = seed.guardrails[0]
    assert first.text.startswith("Never skip severity classification")
    assert first.line == _line_of(seed_text, "- Never skip severity classification")


def test_guardrail_ids_are_unique_slugs(seed: Skill) -> None:
    ids = [g.id for g in seed.guardrails]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "never-skip-severity-classification-every-incident"


def test_five_triggers(seed: Skill) -> None:
    assert len(seed.ambiguity.triggers) == 5
    assert seed.ambiguity.triggers[3].text.startswith("Severity could reasonably")


def test_question_template_placeholders_in_order(seed: Skill) -> None:
    questions = seed.ambiguity.questions
    assert len(questions) == 5
    assert [p for q in questions for p in q.placeholders] == [
        "service_list",
        "unrelated_change",
        "N",
        "region",
    ]


def test_question_templates_are_unquoted(seed: Skill) -> None:
    assert seed.ambiguity.questions[0].text.startswith("Multiple services are degraded")
    assert seed.ambiguity.questions[0].trigger_id is None


def test_nine_decision_rules_last_invokes_tech_debt_tracking(seed: Skill) -> None:
    rules = seed.decision_criteria
    assert len(rules) == 9
    assert rules[0].situation == "Full production outage affecting all users"
    assert rules[0].action.startswith("Classify SEV1")
    assert rules[-1].invokes == ["tech-debt-tracking"]
    assert all(not r.invokes for r in rules[:-1])


def test_nine_success_criteria_without_checkboxes(seed: Skill) -> None:
    assert len(seed.success_criteria) == 9
    assert seed.success_criteria[0].text.startswith("Incident has a severity classification")


def test_eight_failure_modes_from_the_table(seed: Skill) -> None:
    modes = seed.failure_modes
    assert len(modes) == 8
    assert modes[0].failure == "No severity assigned"
    assert modes[0].symptom.startswith("Team scrambles")
    assert modes[0].mitigation.startswith("Enforce severity classification")


def test_four_outputs_with_types(seed: Skill) -> None:
    assert [(o.name, o.type) for o in seed.outputs] == [
        ("severity", "string"),
        ("timeline", "object"),
        ("mitigation", "string"),
        ("postmortem", "string"),
    ]
    assert all(o.required for o in seed.outputs)


def test_scope_delegates(seed: Skill) -> None:
    assert seed.scope.delegates == [
        "terraform-iac",
        "kubernetes-helm",
        "system-design",
        "monitoring-setup",
        "root-cause-analysis",
        "threat-modeling",
        "secure-coding-review",
    ]
    assert len(seed.scope.in_scope) == 6
    assert len(seed.scope.out_of_scope) == 5


def test_audit_log_timestamps(seed: Skill) -> None:
    assert [e.timestamp for e in seed.audit_log] == [
        "2025-02-21T00:00:00Z",
        "2026-02-21T00:00:00Z",
    ]
    assert seed.audit_log[0].text.startswith("Skill created")


def test_every_level_two_section_is_kept_by_slug(seed: Skill) -> None:
    assert list(seed.sections) == [
        "context",
        "micro-skills",
        "outputs",
        "scope",
        "guardrails",
        "ask-when-ambiguous",
        "decision-criteria",
        "success-criteria",
        "failure-modes",
        "audit-log",
    ]


def test_context_text(seed: Skill) -> None:
    assert seed.context.startswith("Invoked during production incidents.")
    assert not seed.context.endswith("---")


def test_seed_has_no_diagnostics(seed: Skill) -> None:
    assert seed.diagnostics == []


def test_content_hash_is_sha256_of_text(seed: Skill, seed_text: str) -> None:
    import hashlib

    assert seed.content_hash == hashlib.sha256(seed_text.encode()).hexdigest()
