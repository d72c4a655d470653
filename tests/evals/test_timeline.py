"""Moment selectors: each resolves to the first such moment, with its log position and time."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from runs import T0, Run, at, call

from agent.engine.transcript import Transcript
from agent.evals.timeline import Moment, SelectorError, Timeline, check_selector, parse_time


def incident() -> Transcript:
    return (
        Run(started=0, ended=60)
        .step("severity-classification", 0, 2, fields={"severity": "SEV2"})  # events 0, 1
        .question("severity-unclear:ab12", 3, trigger="severity-unclear")  # event 2
        .answer("severity-unclear:ab12", 5)  # event 3
        .step("mitigate", 6, 9, actions=["rollback"], tool_calls=[call("query_metric")])  # 4, 5
        .step("mitigate", 10, 12, fields={"mitigation": "rollback"})  # a second attempt: 6, 7
        .event("outputs", 13)  # event 8
        .build(inputs={"detected_at": "2026-11-20T09:58:00Z", "service": "checkout"})
    )


def find(selector: Any, run: Transcript | None = None) -> Moment | None:
    return Timeline(run or incident()).find(selector)


def test_started_is_the_run_start_before_every_event() -> None:
    assert find("started") == Moment("started", -math.inf, T0, "$.started_at")


def test_ended_is_the_run_end_after_every_event() -> None:
    moment = find("ended")
    assert moment is not None
    assert moment.seq == math.inf
    assert moment.at == parse_time(at(60))


def test_a_run_without_a_start_time_has_no_started_moment() -> None:
    assert find("started", Run(started=None).build()) is None


def test_step_start_is_when_the_step_began() -> None:
    moment = find({"step_start": "mitigate"})
    assert moment == Moment("step_start mitigate", 4, parse_time(at(6)), "audit_log[4]")


def test_step_end_is_the_first_attempts_end() -> None:
    moment = find({"step_end": "mitigate"})
    assert moment == Moment("step_end mitigate", 5, parse_time(at(9)), "audit_log[5]")


def test_field_is_the_end_of_the_step_attempt_that_set_it() -> None:
    moment = find({"field": "mitigation"})
    assert moment is not None
    assert (moment.seq, moment.at) == (7, parse_time(at(12)))
    assert moment.pointer == "$.steps[?@.id == 'mitigate'].fields.mitigation"


def test_field_ignores_an_empty_value() -> None:
    run = Run().step("triage", 0, 1, fields={"severity": ""}).build()
    assert find({"field": "severity"}, run) is None


def test_question_matches_its_trigger() -> None:
    moment = find({"question": "severity-unclear"})
    assert moment is not None
    assert (moment.seq, moment.at) == (2, parse_time(at(3)))


def test_question_matches_its_id() -> None:
    moment = find({"question": "severity-unclear:ab12"})
    assert moment is not None
    assert moment.seq == 2


def test_question_matches_the_rule_its_id_starts_with() -> None:
    run = Run().question("rollback-needs-approval:9f", 4).build()
    moment = find({"question": "rollback-needs-approval"}, run)
    assert moment is not None
    assert moment.seq == 0


def test_answer_is_when_that_question_was_answered() -> None:
    moment = find({"answer": "severity-unclear"})
    assert moment == Moment("answer severity-unclear", 3, parse_time(at(5)), "audit_log[3]")


def test_an_unanswered_question_has_no_answer_moment() -> None:
    run = Run().question("owner:1", 1, trigger="owner").answer("other:2", 2).build()
    assert find({"answer": "owner"}, run) is None


def test_action_is_the_end_of_the_step_that_proposed_it() -> None:
    moment = find({"action": "rollback"})
    assert moment is not None
    assert moment.seq == 5


def test_tool_is_the_end_of_the_step_that_called_it() -> None:
    moment = find({"tool": "query_metric"})
    assert moment is not None
    assert moment.seq == 5


def test_event_is_the_first_audit_event_of_that_kind() -> None:
    moment = find({"event": "outputs"})
    assert moment == Moment("event outputs", 8, parse_time(at(13)), "audit_log[8]")


def test_input_is_a_time_without_a_place_in_the_order() -> None:
    moment = find({"input": "detected_at"})
    assert moment == Moment(
        "input detected_at",
        math.inf,
        datetime(2026, 11, 20, 9, 58, tzinfo=UTC),
        "$.inputs.detected_at",
    )


def test_an_input_that_is_not_a_timestamp_is_no_moment() -> None:
    assert find({"input": "service"}) is None
    assert find({"input": "absent"}) is None


def test_a_moment_the_run_never_reached_is_none() -> None:
    assert find({"step_end": "postmortem"}) is None
    assert find({"action": "feature-flag"}) is None


def test_events_are_read_in_log_order_whatever_the_list_order() -> None:
    run = Run().step("triage", 0, 1).step("triage", 2, 3).build()
    shuffled = run.model_copy(update={"audit_log": run.audit_log[::-1]})
    moment = find({"step_end": "triage"}, shuffled)
    assert moment is not None
    assert moment.seq == 1


def test_a_naive_timestamp_is_read_as_utc() -> None:
    assert parse_time("2026-11-20T10:00:00") == T0
    assert parse_time("yesterday") is None
    assert parse_time(None) is None


@pytest.mark.parametrize(
    "selector",
    [
        "start",
        {"step_end": ""},
        {"stepend": "mitigate"},
        {"step_end": "mitigate", "tool": "query_metric"},
        {"field": ["severity"]},
        ["started"],
    ],
    ids=["unknown-word", "empty-name", "unknown-kind", "two-keys", "list-name", "list"],
)
def test_a_malformed_selector_is_rejected_with_the_allowed_shapes(selector: Any) -> None:
    with pytest.raises(SelectorError, match="use started or ended, or a one-key mapping"):
        check_selector(selector)


def test_a_selectors_label_names_its_kind_and_name() -> None:
    assert check_selector({"field": "severity"}) == "field severity"
    assert check_selector("ended") == "ended"
