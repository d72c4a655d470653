"""Questions for humans: filled templates, stable ids, options read off the template."""

from __future__ import annotations

from agent.graph.questions import (
    fill,
    is_approval,
    make_question,
    normalize_answer,
    options_of,
    question_id,
)


def test_placeholders_are_filled_and_unknown_ones_stay_visible() -> None:
    text = fill("`{N}` users in `{region}`, {missing}", {"N": "40", "region": "eu-west"})
    assert text == "`40` users in `eu-west`, {missing}"


def test_question_id_is_stable_for_the_same_text_and_differs_for_other_text() -> None:
    assert question_id("sev", "Classify as SEV2 or SEV3?") == question_id(
        "sev", "Classify as SEV2 or SEV3?"
    )
    assert question_id("sev", "Classify as SEV2 or SEV3?") != question_id(
        "sev", "Classify as SEV1 or SEV2?"
    )


def test_options_come_from_the_templates_alternatives() -> None:
    assert options_of("Impact is ambiguous — 3 users. Classify as SEV2 or SEV3?") == [
        "SEV2",
        "SEV3",
    ]
    assert options_of(
        "Communication channel preference: Slack `#incidents`, Teams, or PagerDuty war-room?"
    ) == [
        "Slack #incidents",
        "Teams",
        "PagerDuty war-room",
    ]


def test_open_questions_have_no_options() -> None:
    assert options_of("Which service's restoration should be prioritised?") == []
    long = "Should the incident remain open for investigation or close with a follow-up ticket?"
    assert options_of(long) == []


def test_approval_questions_offer_approve_or_reject() -> None:
    q = make_question(
        source="rule",
        text="Approve the forward-fix?",
        kind="approval",
        step="mitigate",
        trigger=None,
    )
    assert q["options"] == ["approve", "reject"]
    assert q["kind"] == "approval"


def test_only_an_explicit_yes_approves() -> None:
    assert is_approval(normalize_answer("Approve", at="t"))
    assert is_approval(normalize_answer({"text": "ok", "by": "ic@example.com"}, at="t"))
    assert not is_approval(normalize_answer("not now", at="t"))
    assert not is_approval(normalize_answer({"text": "yes", "approved": False}, at="t"))


def test_plain_text_answers_get_who_and_when() -> None:
    assert normalize_answer("SEV2", at="2026-01-01T00:00:00Z") == {
        "text": "SEV2",
        "by": "human",
        "at": "2026-01-01T00:00:00Z",
    }
