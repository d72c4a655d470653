"""Deterministic checks: each kind passes on a good run, fails on a bad one, never vacuously."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from runs import Run, call, transcript

from agent.engine.transcript import Transcript
from agent.evals.checks import Outcome, Subject, build_check, run_check

POSTMORTEM = """## Postmortem
The deploy pipeline let v2.14.0 reach every user without a canary.

- [ ] Add a canary stage
"""


def score(kind: str, spec: Any, run: Transcript, **expected: Any) -> Outcome:
    return run_check(build_check(kind, spec), Subject(run, expected))


def outputs(**values: Any) -> Transcript:
    return transcript(outputs=values)


# --- present ---------------------------------------------------------------------------


def test_present_passes_on_a_set_output() -> None:
    outcome = score("present", "$.outputs.severity", outputs(severity="SEV1"))
    assert outcome.passed
    assert outcome.evidence == ("$['outputs']['severity']",)


def test_present_fails_on_an_empty_output() -> None:
    assert not score("present", "$.outputs.severity", outputs(severity="")).passed


def test_present_takes_a_mapping_as_well_as_a_path() -> None:
    assert score("present", {"path": "$.outputs.severity"}, outputs(severity="SEV1")).passed


def test_path_selecting_nothing_fails_not_passes() -> None:
    outcome = score("present", "$.outputs.severity", outputs())
    assert not outcome.passed
    assert outcome.error is None
    assert outcome.comment == "nothing at $.outputs.severity"


# --- count -----------------------------------------------------------------------------


def test_count_passes_at_min() -> None:
    run = outputs(timeline=["10:03 paged", "10:06 IC assigned"])
    outcome = score("count", {"path": "$.outputs.timeline", "min": 2}, run)
    assert outcome.passed
    assert outcome.comment == "2 items at $.outputs.timeline (need >= 2)"


def test_count_fails_below_min() -> None:
    run = outputs(timeline=["10:03 paged"])
    assert not score("count", {"path": "$.outputs.timeline", "min": 2}, run).passed


def test_count_fails_above_max() -> None:
    run = outputs(timeline=["a", "b", "c"])
    assert not score("count", {"path": "$.outputs.timeline", "max": 2}, run).passed


def test_count_counts_only_items_matching_the_pattern() -> None:
    spec = {"path": "$.outputs.postmortem", "pattern": r"^- \[ \]", "min": 2}
    outcome = score("count", spec, outputs(postmortem=POSTMORTEM))
    assert not outcome.passed
    assert outcome.comment.startswith("1 matching items")


def test_count_counts_the_lines_of_a_string_and_the_entries_of_a_mapping() -> None:
    run = outputs(postmortem="one\n\n  \ntwo\n", timeline={"10:03": "paged", "10:06": "IC"})
    assert score("count", {"path": "$.outputs.postmortem", "min": 2, "max": 2}, run).passed
    spec = {"path": "$.outputs.timeline", "pattern": "^10:06: IC$", "min": 1}
    assert score("count", spec, run).passed


def test_count_fails_on_nothing_at_path_even_with_min_zero() -> None:
    assert not score("count", {"path": "$.outputs.timeline", "min": 0}, outputs()).passed


def test_count_rejects_max_below_min() -> None:
    with pytest.raises(ValidationError, match="below min"):
        build_check("count", {"path": "$.outputs.x", "min": 3, "max": 2})


# --- matches / not_matches -------------------------------------------------------------


def test_matches_passes_when_some_item_matches() -> None:
    spec = {"path": "$.outputs.postmortem", "pattern": "canary"}
    outcome = score("matches", spec, outputs(postmortem=POSTMORTEM))
    assert outcome.passed
    assert "without a canary" in outcome.comment


def test_matches_fails_when_no_item_matches() -> None:
    spec = {"path": "$.outputs.postmortem", "pattern": "rollback"}
    assert not score("matches", spec, outputs(postmortem=POSTMORTEM)).passed


def test_matches_each_passes_when_every_item_matches() -> None:
    spec = {"path": "$.outputs.timeline", "pattern": r"^\d\d:\d\d", "each": True}
    assert score("matches", spec, outputs(timeline=["10:03 paged", "10:06 IC"])).passed


def test_matches_each_fails_on_one_item_that_does_not_match() -> None:
    spec = {"path": "$.outputs.timeline", "pattern": r"^\d\d:\d\d", "each": True}
    outcome = score("matches", spec, outputs(timeline=["10:03 paged", "later: IC"]))
    assert not outcome.passed
    assert outcome.comment == "1 item(s) do not match: 'later: IC'"


def test_matches_fails_on_an_empty_value() -> None:
    spec = {"path": "$.outputs.postmortem", "pattern": ".*"}
    assert not score("matches", spec, outputs(postmortem="")).passed


def test_not_matches_fails_on_blame_wording() -> None:
    spec = {"path": "$.outputs.postmortem", "pattern": r"(?i)\b(careless|human error)\b"}
    outcome = score("not_matches", spec, outputs(postmortem=POSTMORTEM + "It was human error.\n"))
    assert not outcome.passed
    assert outcome.comment == "forbidden wording: 'It was human error.'"


def test_not_matches_passes_on_blameless_text() -> None:
    spec = {"path": "$.outputs.postmortem", "pattern": r"(?i)\b(careless|human error)\b"}
    assert score("not_matches", spec, outputs(postmortem=POSTMORTEM)).passed


def test_not_matches_fails_when_there_is_no_text_to_clear() -> None:
    spec = {"path": "$.outputs.postmortem", "pattern": "blame"}
    assert not score("not_matches", spec, outputs()).passed


# --- equals / in -----------------------------------------------------------------------


def test_equals_passes_on_the_value() -> None:
    assert score(
        "equals", {"path": "$.outputs.severity", "value": "SEV1"}, outputs(severity="SEV1")
    ).passed


def test_equals_fails_on_another_value() -> None:
    outcome = score(
        "equals", {"path": "$.outputs.severity", "value": "SEV1"}, outputs(severity="SEV2")
    )
    assert not outcome.passed
    assert outcome.comment == "$.outputs.severity is 'SEV2', want 'SEV1'"


def test_equals_reads_the_scenarios_expected_value() -> None:
    spec = {"path": "$.outputs.severity", "expected": "severity"}
    assert score("equals", spec, outputs(severity="SEV3"), severity="SEV3").passed
    assert not score("equals", spec, outputs(severity="SEV3"), severity="SEV1").passed


def test_equals_errors_when_scenario_lacks_expected_key() -> None:
    spec = {"path": "$.outputs.severity", "expected": "severity"}
    outcome = score("equals", spec, outputs(severity="SEV3"))
    assert not outcome.passed
    assert outcome.error == "the scenario has no expected.severity"


def test_equals_compares_with_an_explicit_null() -> None:
    assert score("equals", {"path": "$.outputs.owner", "value": None}, outputs(owner=None)).passed


def test_equals_does_not_take_true_for_one() -> None:
    assert not score("equals", {"path": "$.outputs.n", "value": 1}, outputs(n=True)).passed
    assert score("equals", {"path": "$.outputs.n", "value": 1}, outputs(n=1.0)).passed


def test_equals_collect_compares_all_values_in_any_order() -> None:
    run = Run().step("mitigate", 1, 2, actions=["rollback", "feature-flag"]).build()
    spec = {"path": "$.actions[*].type", "value": ["feature-flag", "rollback"], "collect": True}
    assert score("equals", spec, run).passed


def test_equals_collect_fails_on_a_missing_or_extra_value() -> None:
    run = Run().step("mitigate", 1, 2, actions=["rollback", "feature-flag"]).build()
    fewer = {"path": "$.actions[*].type", "value": ["rollback"], "collect": True}
    more = {"path": "$.actions[*].type", "value": ["rollback", "rollback", "x"], "collect": True}
    assert not score("equals", fewer, run).passed
    assert not score("equals", more, run).passed


def test_equals_collect_of_nothing_is_the_empty_list() -> None:
    spec = {"path": "$.actions[*].type", "expected": "mitigation_actions", "collect": True}
    assert score("equals", spec, transcript(), mitigation_actions=[]).passed


def test_equals_collect_errors_when_expected_is_not_a_list() -> None:
    spec = {"path": "$.actions[*].type", "expected": "mitigation_actions", "collect": True}
    outcome = score("equals", spec, transcript(), mitigation_actions="rollback")
    assert outcome.error == "`collect` compares with a list, got 'rollback'"


def test_in_passes_when_every_value_is_allowed() -> None:
    spec = {"path": "$.outputs.severity", "values": ["SEV1", "SEV2"]}
    assert score("in", spec, outputs(severity="SEV2")).passed


def test_in_fails_on_a_value_outside() -> None:
    spec = {"path": "$.outputs.severity", "values": ["SEV1", "SEV2"]}
    outcome = score("in", spec, outputs(severity="P1"))
    assert not outcome.passed
    assert outcome.comment == "$.outputs.severity has 'P1', not in ['SEV1', 'SEV2']"


def test_in_reads_expected_and_takes_a_single_value_as_a_list_of_one() -> None:
    spec = {"path": "$.outputs.severity", "expected": "severity"}
    assert score("in", spec, outputs(severity="SEV2"), severity=["SEV2", "SEV3"]).passed
    assert score("in", spec, outputs(severity="SEV2"), severity="SEV2").passed


def test_in_errors_when_scenario_lacks_expected_key() -> None:
    spec = {"path": "$.outputs.severity", "expected": "severity"}
    assert (
        score("in", spec, outputs(severity="SEV2")).error == "the scenario has no expected.severity"
    )


def test_in_fails_on_nothing_at_path() -> None:
    assert not score("in", {"path": "$.outputs.severity", "values": ["SEV1"]}, outputs()).passed


# --- compare ---------------------------------------------------------------------------


def metric_run(*rates: float) -> Transcript:
    results = [{"value": r} for r in rates]
    return (
        Run().step("mitigate", 0, 1, tool_calls=[call("query_metric", r) for r in results]).build()
    )


RATES = "$.steps[*].tool_calls[*].result.value"


def test_compare_passes_when_every_number_is_within_bounds() -> None:
    outcome = score("compare", {"path": RATES, "max": 0.05}, metric_run(0.01, 0.02))
    assert outcome.passed
    assert outcome.comment == f"{RATES} (all) = 0.01, 0.02; need <= 0.05"


def test_compare_fails_when_a_number_is_out_of_bounds() -> None:
    assert not score("compare", {"path": RATES, "max": 0.05}, metric_run(0.3, 0.02)).passed


def test_compare_last_looks_at_the_last_number_only() -> None:
    spec = {"path": RATES, "max": 0.05, "which": "last"}
    assert score("compare", spec, metric_run(0.3, 0.02)).passed
    assert not score("compare", spec, metric_run(0.02, 0.3)).passed


def test_compare_any_needs_one_number_within_bounds() -> None:
    spec = {"path": RATES, "min": 0.1, "which": "any"}
    assert score("compare", spec, metric_run(0.3, 0.02)).passed
    assert not score("compare", spec, metric_run(0.01, 0.02)).passed


def test_compare_fails_when_there_is_no_number() -> None:
    run = Run().step("mitigate", 0, 1, tool_calls=[call("query_metric", {"value": "high"})]).build()
    assert score("compare", {"path": RATES, "max": 1}, run).comment == f"no number at {RATES}"


def test_compare_needs_a_bound() -> None:
    with pytest.raises(ValidationError, match="give `min`, `max` or both"):
        build_check("compare", {"path": RATES})


def test_compare_rejects_min_above_max() -> None:
    with pytest.raises(ValidationError, match="nothing could pass"):
        build_check("compare", {"path": RATES, "min": 2, "max": 1})


# --- order -----------------------------------------------------------------------------


def incident() -> Transcript:
    return (
        Run()
        .step(
            "severity-classification",
            0,
            2,
            fields={"severity": "SEV1", "incident_commander": "dana"},
        )
        .step(
            "mitigate",
            3,
            9,
            actions={"status-update": "IC: dana"},
            tool_calls=[call("query_metric")],
        )
        .step("postmortem", 10, 30, fields={"postmortem": POSTMORTEM})
        .build()
    )


def test_order_passes_when_moments_happen_in_that_order() -> None:
    outcome = score(
        "order", [{"field": "incident_commander"}, {"action": "status-update"}], incident()
    )
    assert outcome.passed
    assert outcome.comment == "`field incident_commander` < `action status-update`"
    assert outcome.evidence == (
        "$.steps[?@.id == 'severity-classification'].fields.incident_commander",
        "audit_log[3]",
    )


def test_order_fails_when_moments_happen_the_other_way_round() -> None:
    outcome = score("order", [{"field": "postmortem"}, {"step_end": "mitigate"}], incident())
    assert not outcome.passed
    assert outcome.comment == "`step_end mitigate` came before `field postmortem`"


def test_order_fails_when_a_moment_is_missing() -> None:
    outcome = score("order", ["started", {"action": "rollback"}], incident())
    assert not outcome.passed
    assert outcome.error is None
    assert outcome.comment == "the run has no moment `action rollback`"


def test_order_fails_on_one_moment_named_twice() -> None:
    spec = [{"action": "status-update"}, {"tool": "query_metric"}]
    outcome = score("order", spec, incident())
    assert not outcome.passed
    assert "same moment" in outcome.comment


def test_order_needs_two_moments() -> None:
    with pytest.raises(ValidationError):
        build_check("order", ["started"])


def test_order_rejects_a_bad_selector() -> None:
    with pytest.raises(ValidationError, match="bad moment"):
        build_check("order", ["started", {"stepend": "mitigate"}])


def test_order_rejects_input_moments_which_have_no_place_in_order() -> None:
    with pytest.raises(ValidationError, match="use it in `within`"):
        build_check("order", [{"input": "detected_at"}, {"field": "severity"}])


# --- within ----------------------------------------------------------------------------


def test_within_passes_under_max() -> None:
    outcome = score(
        "within", {"from": "started", "to": {"field": "severity"}, "max": "5m"}, incident()
    )
    assert outcome.passed
    assert outcome.comment == "`field severity` 2m00s after `started` (within 5m00s)"
    assert outcome.evidence == (
        "$.started_at",
        "$.steps[?@.id == 'severity-classification'].fields.severity",
    )


def test_within_fails_over_max() -> None:
    spec = {"from": {"step_end": "mitigate"}, "to": {"field": "postmortem"}, "max": 600}
    outcome = score("within", spec, incident())
    assert not outcome.passed
    assert (
        outcome.comment == "`field postmortem` 21m00s after `step_end mitigate` (more than 10m00s)"
    )


def test_within_uses_first_resolvable_from_moment() -> None:
    spec = {
        "from": [{"input": "detected_at"}, "started"],
        "to": {"field": "severity"},
        "max": "90s",
    }
    run = incident()
    without = run.model_copy(update={"inputs": {}})
    with_input = run.model_copy(update={"inputs": {"detected_at": "2026-11-20T10:01:00Z"}})
    assert not score("within", spec, without).passed  # from the start: 2 minutes
    assert score("within", spec, with_input).passed  # from detection: 1 minute


def test_within_skips_a_from_input_that_is_not_a_timestamp() -> None:
    spec = {"from": [{"input": "detected_at"}, "started"], "to": {"field": "severity"}, "max": "5m"}
    run = incident().model_copy(update={"inputs": {"detected_at": "this morning"}})
    assert "after `started`" in score("within", spec, run).comment


def test_within_fails_when_to_never_happened() -> None:
    spec = {"from": "started", "to": {"field": "root_cause"}, "max": "5m"}
    outcome = score("within", spec, incident())
    assert not outcome.passed
    assert outcome.comment == "the run has no moment `field root_cause`"


def test_within_fails_when_no_from_resolves() -> None:
    spec = {"from": [{"input": "detected_at"}, {"step_end": "triage"}], "to": "ended", "max": "1d"}
    outcome = score("within", spec, incident())
    assert outcome.comment == "the run has no moment `input detected_at or step_end triage`"


def test_within_rejects_a_bad_duration() -> None:
    with pytest.raises(ValidationError, match="bad duration"):
        build_check("within", {"from": "started", "to": "ended", "max": "5 minutes"})


def test_within_rejects_a_negative_duration() -> None:
    with pytest.raises(ValidationError, match="negative"):
        build_check("within", {"from": "started", "to": "ended", "max": -5})


# --- tool_called -----------------------------------------------------------------------


def tools_run() -> Transcript:
    return (
        Run()
        .step(
            "triage",
            0,
            2,
            tool_calls=[
                call("list_alerts", service="checkout"),
                call("search_logs", level="error", limit=5),
            ],
        )
        .step(
            "mitigate",
            3,
            5,
            tool_calls=[call("query_metric", service="checkout", metric="error_rate")],
        )
        .build()
    )


def test_tool_called_subset_accepts_extra_args() -> None:
    spec = {"calls": [{"name": "search_logs", "args": {"level": "error"}}]}
    outcome = score("tool_called", spec, tools_run())
    assert outcome.passed
    assert outcome.evidence == ("$.steps[0].tool_calls[1]",)


def test_tool_called_subset_fails_on_a_different_arg() -> None:
    spec = {"calls": [{"name": "search_logs", "args": {"level": "warning"}}]}
    outcome = score("tool_called", spec, tools_run())
    assert not outcome.passed
    assert outcome.comment == 'no search_logs({"level": "warning"}) call'


def test_tool_called_subset_needs_a_listed_arg_to_be_there() -> None:
    spec = {"calls": [{"name": "search_logs", "args": {"service": None}}]}
    assert not score("tool_called", spec, tools_run()).passed


def test_tool_called_step_looks_only_in_that_step() -> None:
    spec = {"calls": [{"name": "query_metric"}], "step": "triage"}
    outcome = score("tool_called", spec, tools_run())
    assert not outcome.passed
    assert outcome.comment == "no query_metric call in step triage"
    assert score("tool_called", {**spec, "step": "mitigate"}, tools_run()).passed


def test_tool_called_unordered_accepts_any_order() -> None:
    spec = {
        "mode": "unordered",
        "step": "triage",
        "calls": [
            {"name": "search_logs", "args": {"level": "error", "limit": 5}},
            {"name": "list_alerts", "args": {"service": "checkout"}},
        ],
    }
    assert score("tool_called", spec, tools_run()).passed


def test_tool_called_unordered_fails_on_an_unlisted_call() -> None:
    spec = {
        "mode": "unordered",
        "step": "triage",
        "calls": [{"name": "list_alerts", "args": {"service": "checkout"}}],
    }
    outcome = score("tool_called", spec, tools_run())
    assert not outcome.passed
    assert (
        outcome.comment == "calls in step triage differ (unordered): got list_alerts, search_logs"
    )


def test_tool_called_unordered_needs_equal_args() -> None:
    spec = {
        "mode": "unordered",
        "step": "mitigate",
        "calls": [{"name": "query_metric", "args": {"service": "checkout"}}],
    }
    assert not score("tool_called", spec, tools_run()).passed


def test_tool_called_strict_needs_same_order() -> None:
    calls = [
        {"name": "list_alerts", "args": {"service": "checkout"}},
        {"name": "search_logs", "args": {"level": "error", "limit": 5}},
    ]
    assert score(
        "tool_called", {"mode": "strict", "step": "triage", "calls": calls}, tools_run()
    ).passed
    reversed_calls = {"mode": "strict", "step": "triage", "calls": calls[::-1]}
    assert not score("tool_called", reversed_calls, tools_run()).passed


def test_tool_called_needs_at_least_one_call() -> None:
    with pytest.raises(ValidationError):
        build_check("tool_called", {"calls": []})


def test_tool_called_rejects_an_unknown_mode() -> None:
    with pytest.raises(ValidationError):
        build_check("tool_called", {"calls": [{"name": "x"}], "mode": "exact"})


# --- asked -----------------------------------------------------------------------------


def asking() -> Transcript:
    return (
        Run()
        .question("q1", 1, trigger="severity-unclear")
        .question("q2", 2, trigger="owner")
        .build()
    )


def test_asked_passes_when_the_trigger_was_asked() -> None:
    outcome = score("asked", "severity-unclear", asking())
    assert outcome.passed
    assert outcome.evidence == ("$.questions[0]", "$.questions[1]")


def test_asked_fails_when_never_asked() -> None:
    outcome = score("asked", {"trigger": "impact-unclear"}, asking())
    assert not outcome.passed
    assert outcome.comment == "never asked for impact-unclear"


def test_asked_expected_needs_every_trigger() -> None:
    spec = {"expected": "questions"}
    assert score("asked", spec, asking(), questions=["owner", "severity-unclear"]).passed
    assert not score("asked", spec, asking(), questions=["owner", "impact-unclear"]).passed


def test_asked_only_fails_on_an_extra_question() -> None:
    outcome = score("asked", {"expected": "questions", "only": True}, asking(), questions=["owner"])
    assert not outcome.passed
    assert outcome.comment == "also asked for severity-unclear"


def test_asked_only_with_nothing_expected_needs_no_questions() -> None:
    spec = {"expected": "questions", "only": True}
    assert score("asked", spec, transcript(), questions=[]).passed
    assert not score("asked", spec, asking(), questions=[]).passed


def test_asked_errors_when_expected_is_not_a_list_of_trigger_ids() -> None:
    spec = {"expected": "questions"}
    assert score("asked", spec, asking(), questions="owner").error
    assert score("asked", spec, asking(), questions=[1, 2]).error
    assert score("asked", spec, asking()).error == "the scenario has no expected.questions"


def test_asked_rejects_both_trigger_and_expected() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        build_check("asked", {"trigger": "owner", "expected": "questions"})


# --- cites_evidence --------------------------------------------------------------------


def evidence_run(postmortem: str) -> Transcript:
    alerts = {"items": [{"ref": "alerts.csv:2"}, {"ref": "alerts.csv:3"}], "refs": ["alerts.csv:2"]}
    logs = json.dumps({"items": [{"ref": "logs.jsonl:1"}]})  # a tool result kept as JSON text
    return (
        Run()
        .step(
            "triage",
            0,
            5,
            tool_calls=[
                call("list_alerts", alerts),
                call("search_logs", logs),
                call("notes", "see logs.jsonl:9"),
            ],
        )
        .build(outputs={"postmortem": postmortem})
    )


def test_cites_evidence_passes_when_every_ref_is_cited() -> None:
    run = evidence_run("Evidence: `alerts.csv:2`, `alerts.csv:3`, `logs.jsonl:1`.")
    outcome = score("cites_evidence", {"path": "$.outputs.postmortem"}, run)
    assert outcome.passed
    assert outcome.comment == "cites 3/3 evidence refs"


def test_cites_evidence_fails_on_an_uncited_ref() -> None:
    outcome = score(
        "cites_evidence", {"path": "$.outputs.postmortem"}, evidence_run("`alerts.csv:2`")
    )
    assert not outcome.passed
    assert outcome.comment == "cites 1/3 evidence refs; missing alerts.csv:3, logs.jsonl:1"


def test_cites_evidence_min_share_allows_some_uncited() -> None:
    run = evidence_run("`alerts.csv:2` and `alerts.csv:3`")
    assert score("cites_evidence", {"path": "$.outputs.postmortem", "min_share": 0.6}, run).passed


def test_cites_evidence_does_not_take_a_longer_ref_for_a_shorter_one() -> None:
    run = evidence_run("`alerts.csv:2`, `alerts.csv:33`, `logs.jsonl:12`")
    assert score("cites_evidence", {"path": "$.outputs.postmortem"}, run).comment.startswith(
        "cites 1/3"
    )


def test_cites_evidence_fails_when_the_tools_returned_no_refs() -> None:
    run = (
        Run()
        .step("triage", 0, 1, tool_calls=[call("list_alerts", {"items": []})])
        .build(outputs={"postmortem": "x"})
    )
    outcome = score("cites_evidence", {"path": "$.outputs.postmortem"}, run)
    assert not outcome.passed
    assert outcome.comment == "the run's tools returned no evidence refs to cite"


def test_cites_evidence_fails_when_there_is_no_text() -> None:
    assert not score("cites_evidence", {"path": "$.outputs.postmortem"}, evidence_run("")).passed


# --- malformed specs -------------------------------------------------------------------


def test_a_bad_jsonpath_is_rejected_when_the_check_is_built() -> None:
    with pytest.raises(ValidationError, match="bad JSONPath"):
        build_check("present", "$.outputs[")


def test_a_bad_regex_is_rejected_when_the_check_is_built() -> None:
    with pytest.raises(ValidationError, match="bad pattern"):
        build_check("matches", {"path": "$.outputs.x", "pattern": "(unclosed"})


def test_equals_rejects_both_value_and_expected() -> None:
    with pytest.raises(ValidationError, match="exactly one of `value` and `expected`"):
        build_check("equals", {"path": "$.outputs.x", "value": 1, "expected": "x"})


def test_equals_rejects_neither_value_nor_expected() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        build_check("equals", {"path": "$.outputs.x"})


def test_in_rejects_both_values_and_expected() -> None:
    with pytest.raises(ValidationError, match="exactly one of `values` and `expected`"):
        build_check("in", {"path": "$.outputs.x", "values": [1], "expected": "x"})


def test_an_unknown_option_is_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        build_check("count", {"path": "$.outputs.x", "minimum": 2})


def test_cites_evidence_rejects_a_zero_share() -> None:
    with pytest.raises(ValidationError):
        build_check("cites_evidence", {"path": "$.outputs.x", "min_share": 0})


def test_a_check_that_crashes_errors_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    check = build_check("present", "$.outputs.summary")

    def boom(self: object, subject: Subject) -> Outcome:
        raise KeyError("steps")

    monkeypatch.setattr(type(check), "run", boom)
    outcome = run_check(check, Subject(transcript()))
    assert not outcome.passed
    assert outcome.error == "check crashed on this transcript: KeyError: 'steps'"
