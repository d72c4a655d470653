"""Section variants seen in the corpus, each read into the same model fields."""

from __future__ import annotations

import textwrap

from agent.skill.model import Skill
from agent.skill.parse import parse_skill


def _skill(body: str) -> Skill:
    return parse_skill("---\nname: x\n---\n# X\n" + textwrap.dedent(body))


def test_eco_mode_marker_and_mode_free_title() -> None:
    skill = _skill("## Micro-Skills\n### 1. Scan 🌿 (Eco Mode)\nLook.\n### 2. Fix\nDo.\n")
    assert [(m.title, m.mode) for m in skill.micro_skills] == [("Scan", "eco"), ("Fix", None)]


def test_steps_are_the_whole_body_without_a_steps_label() -> None:
    skill = _skill("## Micro-Skills\n### 1. Scan\n\n- look\n- listen\n")
    assert skill.micro_skills[0].steps == "- look\n- listen"


def test_level_three_headings_that_are_not_numbered_are_not_micro_skills() -> None:
    skill = _skill("## Micro-Skills\n### Overview\nText.\n### 1. Scan\nLook.\n")
    assert [m.id for m in skill.micro_skills] == ["scan"]


def test_heading_inside_a_fence_is_not_a_section() -> None:
    skill = _skill("## Context\n\n```md\n## Guardrails\n- not one\n```\n")
    assert skill.guardrails == []
    assert list(skill.sections) == ["context"]
    assert "## Guardrails" in skill.context


def test_tilde_fence_hides_headings_too() -> None:
    skill = _skill("## Micro-Skills\n### 1. Scan\n~~~\n### 2. Not a step\n~~~\n")
    assert [m.number for m in skill.micro_skills] == [1]


def test_section_titles_match_case_insensitively() -> None:
    skill = _skill("## GUARDRAILS\n- Be careful\n## success criteria\n- Done\n")
    assert [g.text for g in skill.guardrails] == ["Be careful"]
    assert [c.text for c in skill.success_criteria] == ["Done"]


def test_guardrail_continuation_lines_fold_into_one_item() -> None:
    skill = _skill("## Guardrails\n- Never guess when\n  uncertain\n- Log it\n")
    assert [g.text for g in skill.guardrails] == ["Never guess when uncertain", "Log it"]


def test_numbered_guardrails_are_items() -> None:
    skill = _skill("## Guardrails\n1. First rule\n2. Second rule\n")
    assert [g.text for g in skill.guardrails] == ["First rule", "Second rule"]


def test_success_criteria_checkbox_and_plain_bullets() -> None:
    skill = _skill("## Success Criteria\n- [ ] Open\n- [x] Done\n- Plain\n")
    assert [c.text for c in skill.success_criteria] == ["Open", "Done", "Plain"]


def test_inputs_table_with_required_column() -> None:
    skill = _skill(
        """
        ## Inputs

        | Name | Type | Required | Description |
        |------|------|----------|-------------|
        | `repo` | `string` | yes | Where to look |
        | `depth` | `int` | no | How deep |
        | `mode` | | optional | |
        """
    )
    assert [(f.name, f.type, f.required) for f in skill.inputs] == [
        ("repo", "string", True),
        ("depth", "int", False),
        ("mode", "string", False),
    ]
    assert skill.inputs[0].description == "Where to look"
    assert skill.inputs[0].line == 10


def test_scope_bold_paragraph_labels() -> None:
    skill = _skill(
        """
        ## Scope

        **In scope:**

        - Watching

        **Out of scope:**

        - Fixing — delegated to `repair` and `deploy`
        """
    )
    assert [i.text for i in skill.scope.in_scope] == ["Watching"]
    assert skill.scope.out_of_scope[0].delegates == ["repair", "deploy"]
    assert skill.scope.delegates == ["repair", "deploy"]


def test_backticks_before_delegate_are_not_delegates() -> None:
    skill = _skill("## Scope\n### Out of Scope\n- Editing `main.py` — delegate to `coder`\n")
    assert skill.scope.delegates == ["coder"]


def test_ask_when_ambiguous_title_variant_with_bold_labels() -> None:
    skill = _skill(
        """
        ## Ask When Ambiguous

        **Triggers:**
        - Two owners claim the service

        **Question Templates:**
        - "Who owns `{service}` in {`region`}?"
        """
    )
    assert [t.text for t in skill.ambiguity.triggers] == ["Two owners claim the service"]
    [question] = skill.ambiguity.questions
    assert question.placeholders == ["service", "region"]
    assert question.text.startswith("Who owns")


def test_flat_ask_form_pairs_question_with_trigger() -> None:
    skill = _skill(
        """
        ## Ask-When-Ambiguous

        - Target unclear → ask: "Which {target} should I use?"
        - Budget unknown -> ask: "What is the budget?"
        - Plain trigger without a question
        """
    )
    triggers = skill.ambiguity.triggers
    questions = skill.ambiguity.questions
    assert [t.text for t in triggers] == [
        "Target unclear",
        "Budget unknown",
        "Plain trigger without a question",
    ]
    assert [q.text for q in questions] == ["Which {target} should I use?", "What is the budget?"]
    assert [q.trigger_id for q in questions] == [triggers[0].id, triggers[1].id]
    assert questions[0].placeholders == ["target"]


def test_decision_criteria_bullets_with_arrows_and_invokes() -> None:
    skill = _skill("## Decision Criteria\n- Tests fail → invoke `tdd-workflow` then `auditor`\n")
    [rule] = skill.decision_criteria
    assert rule.situation == "Tests fail"
    assert rule.action == "invoke `tdd-workflow` then `auditor`"
    assert rule.invokes == ["tdd-workflow", "auditor"]


def test_failure_modes_as_bullets() -> None:
    skill = _skill("## Failure Modes\n- Flaky test → quarantine and file a ticket\n")
    [mode] = skill.failure_modes
    assert (mode.failure, mode.mitigation) == ("Flaky test", "quarantine and file a ticket")


def test_audit_log_entry_without_timestamp() -> None:
    skill = _skill("## Audit Log\n- Created by hand\n- `2025-01-02` — Edited\n")
    assert [(e.timestamp, e.text) for e in skill.audit_log] == [
        (None, "Created by hand"),
        ("2025-01-02", "Edited"),
    ]


def test_kernel_edge_cases_and_examples() -> None:
    skill = _skill(
        "## Kernel\nDo less.\n## Edge Cases\n- Empty repo\n- Huge repo\n"
        "## Examples\n```sh\nrun\n```\n"
    )
    assert skill.kernel == "Do less."
    assert skill.edge_cases == ["Empty repo", "Huge repo"]
    assert skill.examples == "```sh\nrun\n```"


def test_repeated_section_title_keeps_the_first() -> None:
    skill = _skill("## Guardrails\n- First\n## Guardrails\n- Second\n")
    assert [g.text for g in skill.guardrails] == ["First"]
    assert skill.sections["guardrails"].line == 5


def test_sections_are_in_file_order() -> None:
    skill = _skill("## Zeta\nz\n## Alpha\na\n")
    assert list(skill.sections) == ["zeta", "alpha"]


def test_longer_fence_is_closed_only_by_a_fence_as_long() -> None:
    skill = _skill("## Examples\n````md\n```py\nx\n```\n## Still example\n````\n## After\n")
    assert list(skill.sections) == ["examples", "after"]
    assert "## Still example" in skill.examples
    assert skill.diagnostics == []


def test_fence_with_trailing_text_does_not_close() -> None:
    skill = _skill("## Examples\n```\n``` not a close\n## Inside\n```\n## After\n")
    assert list(skill.sections) == ["examples", "after"]


def test_flat_ask_form_accepts_curly_quotes() -> None:
    skill = _skill("## Ask-When-Ambiguous\n- Owner unknown → ask: “Who owns {service}?”\n")
    [question] = skill.ambiguity.questions
    assert question.text == "Who owns {service}?"
    assert question.trigger_id == skill.ambiguity.triggers[0].id


def test_exact_section_title_wins_over_a_longer_earlier_one() -> None:
    skill = _skill("## Context Budget\nTokens.\n## Context\nThe real context.\n")
    assert skill.context == "The real context."


def test_section_title_variant_is_found_by_prefix() -> None:
    skill = _skill("## Micro-Skills (orchestration steps)\n### 1. Go\nGo.\n")
    assert [m.id for m in skill.micro_skills] == ["go"]


def test_audit_log_timestamp_forms() -> None:
    skill = _skill(
        "## Audit Log\n- 2025-02-21: Created\n- `2025-02-21T10:00:00+02:00` — Zoned\n"
        "- `2025-02-21 10:00` - Spaced\n"
    )
    assert [(e.timestamp, e.text) for e in skill.audit_log] == [
        ("2025-02-21", "Created"),
        ("2025-02-21T10:00:00+02:00", "Zoned"),
        ("2025-02-21 10:00", "Spaced"),
    ]


def test_heading_keeps_a_hash_that_is_part_of_its_text() -> None:
    skill = _skill("## Micro-Skills\n### 1. Port to C#\nGo.\n### 2. Closed heading ##\nGo.\n")
    assert [m.title for m in skill.micro_skills] == ["Port to C#", "Closed heading"]
