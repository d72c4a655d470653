"""Questions as elicitation forms: flat schemas, and form answers as engine answers."""

from __future__ import annotations

from agent.mcp.questions import answer_from_form, form_key, form_schema, split_key

SEVERITY = {"id": "sev-1", "kind": "clarify", "text": "SEV2 or SEV3?", "options": ["SEV2", "SEV3"]}
APPROVAL = {"id": "ok-1", "kind": "approval", "text": "Roll back?", "options": []}
OPEN = {"id": "why-1", "kind": "clarify", "text": "What changed?", "options": []}


def test_a_clarification_with_choices_is_an_enum_with_an_optional_note() -> None:
    schema = form_schema(SEVERITY)
    assert schema["properties"]["answer"] == {
        "type": "string",
        "title": "Answer",
        "enum": ["SEV2", "SEV3"],
    }
    assert schema["properties"]["note"]["type"] == "string"
    assert schema["required"] == ["answer"]


def test_an_approval_is_approve_or_reject_and_nothing_else() -> None:
    schema = form_schema(APPROVAL)
    assert schema["properties"] == {
        "answer": {"type": "string", "title": "Answer", "enum": ["approve", "reject"]}
    }


def test_an_open_question_takes_any_text() -> None:
    assert "enum" not in form_schema(OPEN)["properties"]["answer"]


def test_every_property_is_a_flat_primitive() -> None:
    for question in (SEVERITY, APPROVAL, OPEN):
        for prop in form_schema(question)["properties"].values():
            assert prop["type"] == "string"
            assert set(prop) <= {"type", "title", "description", "enum"}


def test_a_note_is_recorded_after_the_choice_with_who_answered() -> None:
    answer = answer_from_form({"answer": "SEV2", "note": "payments down"}, "dana")
    assert answer == {"text": "SEV2 — payments down", "by": "dana"}


def test_an_empty_form_is_no_answer() -> None:
    assert answer_from_form({"answer": "  "}, "dana") is None
    assert answer_from_form(None, "dana") is None


def test_a_form_key_names_the_thread_and_the_question() -> None:
    assert split_key(form_key("t-1", "sev-1")) == ("t-1", "sev-1")
    assert split_key("something-else") is None
