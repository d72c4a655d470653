"""Master skills: each orchestration step names the skill it invokes and its inputs/outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agent.skill.model import Skill

FLOW = Path("garden-v4/100-engineering/90-maintenance/incident-response-flow/SKILL.md")
SHIPPING = Path("garden-v4/100-engineering/30-implementation/feature-shipping/SKILL.md")


@pytest.fixture(scope="module")
def flow(corpus: Path, read_skill: Callable[[Path], Skill]) -> Skill:
    return read_skill(corpus / FLOW)


def test_master_skill_type_and_dependencies(flow: Skill) -> None:
    assert flow.skill_type == "master"
    assert flow.dependencies == ["constitution", "scratchpad", "pragya", "librarian", "auditor"]


def test_orchestration_steps_section_title_variant_is_recognised(flow: Skill) -> None:
    assert [m.id for m in flow.micro_skills] == [
        "triage-and-mitigate",
        "root-cause-analysis",
        "log-evidence",
        "capture-decision-record",
        "audit",
    ]


def test_each_step_invokes_one_skill(flow: Skill) -> None:
    assert [m.invokes for m in flow.micro_skills] == [
        ["incident-response"],
        ["root-cause-analysis"],
        ["log-analysis"],
        ["decision-records"],
        ["auditor"],
    ]


def test_step_inputs_are_the_backticked_names(flow: Skill) -> None:
    assert flow.micro_skills[1].inputs == ["incident_id", "mitigation_applied", "service_state"]


def test_step_outputs_are_the_backticked_names(flow: Skill) -> None:
    assert flow.micro_skills[1].outputs == [
        "rca_summary",
        "confirmed_cause",
        "contributing_factors",
        "evidence_pointers",
    ]


def test_parenthetical_values_are_not_inputs(flow: Skill) -> None:
    # "declared `severity` (or `auto`)": auto is a value of severity, not an input.
    assert flow.micro_skills[0].inputs == ["alert_payload", "service_id", "severity"]


def test_parenthetical_alternatives_are_not_outputs_or_invokes(
    corpus: Path, read_skill: Callable[[Path], Skill]
) -> None:
    review = read_skill(corpus / SHIPPING).micro_skills[3]
    assert review.invokes == ["code-review"]
    assert review.outputs == ["review_report", "decision"]


def test_mode_label_line_sets_the_mode(flow: Skill) -> None:
    assert [m.mode for m in flow.micro_skills] == ["power", "power", "eco", "eco", "power"]


def test_steps_start_after_the_steps_label(flow: Skill) -> None:
    steps = flow.micro_skills[0].steps
    assert steps.startswith("1. Load `incident-response` via the librarian.")
    assert "**Invokes:**" not in steps
    assert "**Invokes:** `incident-response`" in flow.micro_skills[0].body


def test_invoked_skills_are_references(flow: Skill) -> None:
    assert {"incident-response", "root-cause-analysis", "log-analysis"} <= set(flow.references)
