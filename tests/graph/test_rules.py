"""Deterministic rule evaluation against the shipped incident-response policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.graph.rules import (
    RuleContext,
    Verdict,
    check_after,
    check_before,
    check_final,
    check_plan,
)
from agent.skill.policy import ApprovalRule, Policy, load_policy, parse_policy

SEED = Path(__file__).resolve().parents[2] / "skills" / "incident-response"
EVIDENCE = ["logs://checkout/10:02?level=error", "trace://checkout/7f3a"]
POSTMORTEM = (
    "## Incident Postmortem\n### Root Cause\nThe system allowed a bad config.\n"
    f"Evidence: {EVIDENCE[0]} and {EVIDENCE[1]}\n"
    "### Action Items\n- [ ] Add a canary stage for config changes\n"
)


@pytest.fixture(scope="module")
def policy() -> Policy:
    loaded = load_policy(SEED)
    assert loaded is not None
    return loaded


def ctx(**over: Any) -> RuleContext:
    """A run that did everything right so far; tests break one thing each."""
    base = RuleContext(
        completed_steps=["severity-classification", "triage", "mitigate", "postmortem"],
        facts={"severity": "SEV2", "incident_commander": "dana"},
        outputs={"severity": "SEV2", "postmortem": POSTMORTEM},
        actions=[],
        approvals={},
        evidence=list(EVIDENCE),
    )
    base.update(over)  # type: ignore[typeddict-item]
    return base


def forward_fix(step: str = "mitigate") -> dict[str, Any]:
    return {
        "id": f"{step}:0:forward-fix",
        "type": "forward-fix",
        "step": step,
        "description": "patch",
    }


def approval_id(policy: Policy) -> str:
    """The approval question id the rules derive for ``forward_fix()``."""
    verdicts = check_after(policy, "mitigate", ctx(actions=[forward_fix()]))
    assert verdicts
    assert verdicts[0].approval is not None
    return verdicts[0].approval.id


def outcomes(verdicts: list[Verdict]) -> list[str]:
    return [v.outcome for v in verdicts]


# --- plan ordering -------------------------------------------------------------------


def test_plan_moves_severity_before_triage_and_records_the_repair(policy: Policy) -> None:
    order, verdicts = check_plan(policy, ["triage", "severity-classification", "mitigate"])
    assert order == ["severity-classification", "triage", "mitigate"]
    assert [(v.outcome, v.tier, v.step) for v in verdicts] == [("allow", "rule", "plan")]
    assert "severity" in verdicts[0].guardrail_id


def test_plan_already_in_order_is_kept_without_verdicts(policy: Policy) -> None:
    plan = ["severity-classification", "triage", "mitigate", "postmortem"]
    assert check_plan(policy, plan) == (plan, [])


def test_plan_repair_never_invents_a_missing_step(policy: Policy) -> None:
    order, verdicts = check_plan(policy, ["triage", "mitigate"])
    assert order == ["triage", "mitigate"]
    assert verdicts == []


def test_plan_repair_terminates_on_a_cyclic_policy() -> None:
    cyclic = parse_policy(
        "rules:\n"
        "  - {id: ab, kind: order, guardrail: g, first: a, then: b, message: m}\n"
        "  - {id: ba, kind: order, guardrail: g, first: b, then: a, message: m}\n"
    )
    order, _ = check_plan(cyclic, ["a", "b"])
    assert sorted(order) == ["a", "b"]


# --- before a step: ordering and required facts --------------------------------------------


def test_mitigation_without_commander_blocks_once_the_producer_ran(policy: Policy) -> None:
    facts = {"severity": "SEV2"}
    verdicts = check_before(
        policy, "mitigate", ctx(facts=facts, completed_steps=["severity-classification", "triage"])
    )
    assert outcomes(verdicts) == ["block"]
    assert "Incident Commander" in verdicts[0].message


def test_mitigation_without_commander_sends_back_to_an_unrun_producer(policy: Policy) -> None:
    verdicts = check_before(policy, "mitigate", ctx(facts={}, completed_steps=[]))
    commander = [v for v in verdicts if "Commander" in v.message]
    assert [(v.outcome, v.step) for v in commander] == [("revise", "severity-classification")]


def test_blank_commander_counts_as_missing(policy: Policy) -> None:
    verdicts = check_before(
        policy, "mitigate", ctx(facts={"severity": "SEV1", "incident_commander": "  "})
    )
    assert outcomes(verdicts) == ["block"]


def test_mitigation_with_commander_is_allowed(policy: Policy) -> None:
    assert check_before(policy, "mitigate", ctx()) == []


def test_triage_before_severity_classification_ran_goes_back_to_it(policy: Policy) -> None:
    verdicts = check_before(policy, "triage", ctx(completed_steps=[], facts={}))
    assert {v.step for v in verdicts} == {"severity-classification"}
    assert set(outcomes(verdicts)) == {"revise"}


def test_verdicts_cite_the_guardrail_line_when_lines_are_given(policy: Policy) -> None:
    rule = next(r for r in policy.rules if r.id == "commander-before-mitigation")
    verdicts = check_before(policy, "mitigate", ctx(facts={}), {rule.guardrail: 160})
    assert [(v.guardrail_id, v.line, v.rule_id) for v in verdicts] == [
        (rule.guardrail, 160, rule.id)
    ]


# --- after a step -------------------------------------------------------------------


def test_classification_without_commander_is_sent_back_to_itself(policy: Policy) -> None:
    verdicts = check_after(policy, "severity-classification", ctx(facts={"severity": "SEV2"}))
    assert [(v.outcome, v.step) for v in verdicts] == [("revise", "severity-classification")]


@pytest.mark.parametrize("severity", ["SEV1", "SEV2", "sev1"])
def test_forward_fix_during_sev1_or_sev2_needs_commander_approval(
    policy: Policy, severity: str
) -> None:
    facts = {"severity": severity, "incident_commander": "dana"}
    verdicts = check_after(policy, "mitigate", ctx(facts=facts, actions=[forward_fix()]))
    assert outcomes(verdicts) == ["approve"]
    request = verdicts[0].approval
    assert request is not None
    assert request.approver == "Incident Commander"
    assert request.action_id == "mitigate:0:forward-fix"
    assert "forward-fix" in request.question


@pytest.mark.parametrize("severity", ["SEV3", "SEV4"])
def test_forward_fix_in_lower_severity_needs_no_approval(policy: Policy, severity: str) -> None:
    facts = {"severity": severity, "incident_commander": "dana"}
    assert check_after(policy, "mitigate", ctx(facts=facts, actions=[forward_fix()])) == []


def test_action_type_spelling_does_not_dodge_approval(policy: Policy) -> None:
    action = {**forward_fix(), "type": "Forward fix"}
    assert outcomes(check_after(policy, "mitigate", ctx(actions=[action]))) == ["approve"]


def test_rollback_needs_no_approval(policy: Policy) -> None:
    action = {**forward_fix(), "type": "rollback", "id": "mitigate:0:rollback"}
    assert check_after(policy, "mitigate", ctx(actions=[action])) == []


def test_recorded_human_approval_allows_the_forward_fix(policy: Policy) -> None:
    answer = {"text": "approve", "by": "dana", "at": "2026-11-26T10:00:00Z", "approved": True}
    approvals = {approval_id(policy): answer}
    assert check_after(policy, "mitigate", ctx(actions=[forward_fix()], approvals=approvals)) == []


def test_rejected_approval_keeps_the_forward_fix_unapproved(policy: Policy) -> None:
    answer = {"text": "reject", "by": "dana", "at": "2026-11-26T10:00:00Z", "approved": False}
    approvals = {approval_id(policy): answer}
    verdicts = check_after(policy, "mitigate", ctx(actions=[forward_fix()], approvals=approvals))
    assert outcomes(verdicts) == ["approve"]
    assert "rejected" in verdicts[0].message


def test_model_claims_of_approval_do_not_count(policy: Policy) -> None:
    claimed = {**forward_fix(), "approved": True, "description": "IC approved this already"}
    facts = {
        "severity": "SEV1",
        "incident_commander": "dana",
        "ic_approval": True,
        "approved": True,
    }
    verdicts = check_after(policy, "mitigate", ctx(facts=facts, actions=[claimed]))
    assert outcomes(verdicts) == ["approve"]


def test_approval_is_checked_only_for_the_step_that_proposed_it(policy: Policy) -> None:
    assert check_after(policy, "postmortem", ctx(actions=[forward_fix("mitigate")])) == []


@pytest.mark.parametrize(
    "postmortem",
    [
        "## Postmortem\nNo action items.\n",
        "### Action Items\n- [ ] <Preventive action 1>\n",
        "",
    ],
    ids=["none", "template-placeholder", "empty"],
)
def test_postmortem_without_preventive_action_is_sent_back(policy: Policy, postmortem: str) -> None:
    outputs = {"postmortem": postmortem + " ".join(EVIDENCE)}
    if not postmortem:
        outputs = {}
    verdicts = check_after(policy, "postmortem", ctx(outputs=outputs))
    assert any(v.rule_id == "postmortem-has-preventive-action" for v in verdicts)
    assert {(v.outcome, v.step) for v in verdicts} == {("revise", "postmortem")}


def test_postmortem_with_an_action_item_and_all_evidence_passes(policy: Policy) -> None:
    assert check_after(policy, "postmortem", ctx()) == []


def test_postmortem_missing_cited_evidence_names_the_missing_ref(policy: Policy) -> None:
    text = POSTMORTEM.replace(EVIDENCE[1], "")
    verdicts = check_after(policy, "postmortem", ctx(outputs={"postmortem": text}))
    assert outcomes(verdicts) == ["revise"]
    assert EVIDENCE[1] in verdicts[0].message
    assert EVIDENCE[0] not in verdicts[0].message


# --- end of run ----------------------------------------------------------------------


def test_final_check_passes_a_complete_run(policy: Policy) -> None:
    assert check_final(policy, ctx()) == []


def test_final_check_blocks_a_run_without_postmortem(policy: Policy) -> None:
    verdicts = check_final(policy, ctx(outputs={"severity": "SEV2"}))
    assert outcomes(verdicts) == ["block", "block"]


def test_final_check_catches_an_unapproved_forward_fix(policy: Policy) -> None:
    verdicts = check_final(policy, ctx(actions=[forward_fix()]))
    rule = next(r for r in policy.rules if isinstance(r, ApprovalRule))
    assert [(v.outcome, v.rule_id) for v in verdicts] == [("approve", rule.id)]


def test_approval_does_not_carry_over_to_a_different_proposal(policy: Policy) -> None:
    answer = {"text": "approve", "by": "dana", "at": "2026-11-26T10:00:00Z", "approved": True}
    approvals = {approval_id(policy): answer}
    changed = {**forward_fix(), "description": "patch a different service"}
    verdicts = check_after(policy, "mitigate", ctx(actions=[changed], approvals=approvals))
    assert outcomes(verdicts) == ["approve"]
