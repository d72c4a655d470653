"""The policy's clocks: ``deadline`` and ``reminder`` rules, durations, tables and levels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.skills import one_step_skill

from agent.errors import SkillParseError
from agent.graph.timers import due_times
from agent.skill.policy import DeadlineRule, parse_duration, parse_policy, policy_problems

DEADLINE = """\
rules:
  - id: window
    kind: deadline
    within: {fact: severity, table: {SEV1: 5m, SEV-2: 1h30m}, default: 4h}
    fallback: escalate
    escalate: {fact: severity, levels: [SEV3, SEV2, SEV1]}
    message: escalate after the window
"""


def _rule(text: str = DEADLINE) -> DeadlineRule:
    [rule] = parse_policy(text).rules
    assert isinstance(rule, DeadlineRule)
    return rule


@pytest.mark.parametrize(
    ("text", "span"),
    [("90s", timedelta(seconds=90)), ("1h30m", timedelta(minutes=90)), ("2d", timedelta(days=2))],
)
def test_durations_read_as_days_hours_minutes_seconds(text: str, span: timedelta) -> None:
    assert parse_duration(text) == span


@pytest.mark.parametrize("text", ["", "30", "5 minutes", "m5"])
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_a_table_window_is_looked_up_ignoring_case_and_punctuation() -> None:
    rule = _rule()
    assert rule.window({"severity": "sev2"}) == timedelta(minutes=90)
    assert rule.window({"severity": "SEV 1"}) == timedelta(minutes=5)
    assert rule.window({"severity": "SEV4"}) == timedelta(hours=4)  # the default
    assert rule.window({}) == timedelta(hours=4)


def test_escalation_moves_one_level_and_stops_at_the_top() -> None:
    levels = _rule().escalate
    assert levels is not None
    assert levels.next_level("sev-3") == "SEV2"
    assert levels.next_level("SEV1") is None
    assert levels.next_level("SEV9") is None


def test_a_rule_selects_questions_by_every_field_it_names() -> None:
    rule = _rule(
        DEADLINE.replace(
            "    fallback:", "    step: triage\n    question_kind: clarify\n    fallback:"
        )
    )
    asked = {"kind": "clarify", "trigger": "t"}
    assert rule.selects(asked, "triage")
    assert not rule.selects(asked, "mitigate")
    assert not rule.selects({**asked, "kind": "approval"}, "triage")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("SEV1: 5m", "SEV1: soon"), "invalid duration 'soon'"),
        (("within: {fact", "within: {tabel: {}, fact"), "tabel"),
        (
            (
                "within: {fact: severity, table: {SEV1: 5m, SEV-2: 1h30m}, default: 4h}",
                "within: 5 min",
            ),
            "invalid duration",
        ),
        (("    escalate: {fact: severity, levels: [SEV3, SEV2, SEV1]}\n", ""), "needs 'escalate"),
        (("fallback: escalate", "fallback: answer"), "needs 'answer' or 'set'"),
        (("fallback: escalate", "fallback: retry"), "fallback"),
    ],
    ids=[
        "table-duration",
        "unknown-key",
        "duration",
        "escalate-levels",
        "answer-text",
        "unknown-fallback",
    ],
)
def test_a_bad_deadline_rule_fails_at_its_line(change: tuple[str, str], fragment: str) -> None:
    with pytest.raises(SkillParseError, match=fragment) as caught:
        parse_policy(DEADLINE.replace(*change), path="p.yaml")
    assert caught.value.line is not None


def test_a_reminder_needs_a_cadence() -> None:
    with pytest.raises(SkillParseError, match="every"):
        parse_policy("rules:\n  - {id: r, kind: reminder, message: post}\n")


def test_a_deadline_naming_unknown_steps_triggers_or_approvals_is_reported() -> None:
    skill = one_step_skill("a")
    policy = parse_policy(
        DEADLINE.replace(
            "    fallback:", "    step: zz\n    trigger: nope\n    approval: gone\n    fallback:"
        )
    )
    assert policy_problems(policy, skill) == [
        "rule 'window': unknown step 'zz'",
        "rule 'window': unknown trigger 'nope'",
        "rule 'window': unknown approval 'gone'",
    ]


def test_timer_rules_leave_their_guardrail_to_the_judge() -> None:
    policy = parse_policy(DEADLINE.replace("    fallback:", "    guardrail: g\n    fallback:"))
    assert policy.ruled_guardrails() == set()
    assert policy.judged_guardrails(["g"]) == ["g"]


def test_reminders_wait_while_an_invoked_skill_asks() -> None:
    policy = parse_policy("rules:\n  - {id: r, kind: reminder, every: 30m, message: post}\n")
    values = {"started_at": "2026-03-01T10:00:00.000Z"}
    own = due_times(policy, values, [{"id": "q", "step": "triage"}])
    invoked = due_times(policy, values, [{"id": "q", "step": "child/triage"}])
    assert own == [datetime(2026, 3, 1, 10, 30, tzinfo=UTC)]
    assert invoked == []
