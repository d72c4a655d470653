"""The scripted model: replies from a script, tools really run, drift fails loudly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel

from agent.errors import ConfigError, ModelAPIError, ScriptedModelError
from agent.llm import ModelRequest, ScriptedModel, Usage

ASK = [{"role": "user", "content": "Checkout returns 5xx since 10:02"}]


class Plan(BaseModel):
    steps: list[str]


calls: list[str] = []


@tool
def search_logs(query: str) -> str:
    """Search the service logs."""
    calls.append(query)
    return f"found {query}"


async def test_replies_are_served_in_order_validated_against_the_schema() -> None:
    model = ScriptedModel(
        {"plan": [{"output": {"steps": ["triage"]}}, {"output": {"steps": ["mitigate"]}}]}
    )
    first = await model.generate(ModelRequest("plan", ASK, schema=Plan))
    second = await model.generate(ModelRequest("plan", ASK, schema=Plan))
    assert (first.output, second.output) == (Plan(steps=["triage"]), Plan(steps=["mitigate"]))
    model.assert_complete()


async def test_scripted_tool_calls_really_run_against_the_request_tools() -> None:
    calls.clear()
    model = ScriptedModel(
        {
            "triage": [
                {"tool_calls": [{"name": "search_logs", "args": {"query": "5xx"}}], "output": "ok"}
            ]
        }
    )
    response = await model.generate(ModelRequest("triage", ASK, tools=[search_logs]))
    assert calls == ["5xx"]
    assert response.tool_calls[0].result == "found 5xx"
    assert [m["role"] for m in response.messages] == ["user", "assistant", "tool", "assistant"]


async def test_an_unexpected_purpose_fails_naming_what_the_script_has() -> None:
    model = ScriptedModel({"plan": [{"output": "x"}]})
    with pytest.raises(ScriptedModelError, match=r"no reply for call 1 of 'audit'.*only for: plan"):
        await model.generate(ModelRequest("audit", ASK))


async def test_a_call_past_the_scripted_replies_fails() -> None:
    model = ScriptedModel({"plan": [{"output": "x"}]})
    await model.generate(ModelRequest("plan", ASK))
    with pytest.raises(ScriptedModelError, match="no reply for call 2 of 'plan': it has only 1"):
        await model.generate(ModelRequest("plan", ASK))


def test_unconsumed_replies_fail_assert_complete_per_purpose() -> None:
    model = ScriptedModel({"plan": [{"output": "x"}], "audit": [{"output": "y"}, {"output": "z"}]})
    with pytest.raises(ScriptedModelError, match=r"audit: 2, plan: 1"):
        model.assert_complete()


async def test_an_output_that_breaks_the_schema_fails_loudly() -> None:
    model = ScriptedModel({"plan": [{"output": {"stpes": []}}]})
    with pytest.raises(ScriptedModelError, match="does not fit Plan"):
        await model.generate(ModelRequest("plan", ASK, schema=Plan))


async def test_an_expectation_the_request_does_not_meet_fails() -> None:
    model = ScriptedModel({"plan": [{"expect": "payments", "output": "x"}]})
    with pytest.raises(ScriptedModelError, match=r"expects \['payments'\] in the request"):
        await model.generate(ModelRequest("plan", ASK))


async def test_a_scripted_error_simulates_a_server_fault() -> None:
    model = ScriptedModel({"plan": [{"error": {"status": 503, "message": "overloaded"}}]})
    with pytest.raises(ModelAPIError, match="overloaded") as caught:
        await model.generate(ModelRequest("plan", ASK))
    assert caught.value.status == 503


async def test_usage_is_estimated_deterministically_from_the_text() -> None:
    model = ScriptedModel({"plan": [{"output": "a" * 40}]})
    response = await model.generate(ModelRequest("plan", ASK))
    prompt_chars = len(ASK[0]["content"])
    assert response.usage == Usage(
        prompt_tokens=(prompt_chars + 3) // 4, completion_tokens=10, calls=1
    )


async def test_a_yaml_script_loads_and_names_the_model_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("plan:\n  - output:\n      steps: [triage]\n")
    model = ScriptedModel.from_file(path)
    assert model.name == "scripted:demo.yaml"
    assert (await model.generate(ModelRequest("plan", ASK, schema=Plan))).output == Plan(
        steps=["triage"]
    )


def test_a_typo_in_a_script_is_a_config_error_naming_purpose_and_index(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"plan": [{"output": 1}, {"ouput": 2}]}')
    with pytest.raises(ConfigError, match=r"bad.json: plan\[1\]\.ouput"):
        ScriptedModel.from_file(path)


def test_a_missing_script_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read model script"):
        ScriptedModel.from_file(tmp_path / "absent.yaml")


async def test_a_call_to_an_unknown_tool_becomes_an_error_tool_message() -> None:
    model = ScriptedModel({"triage": [{"tool_calls": [{"name": "reboot_prod"}], "output": "ok"}]})
    response = await model.generate(ModelRequest("triage", ASK, tools=[search_logs]))
    record = response.tool_calls[0]
    assert record.error is True
    assert "unknown tool 'reboot_prod'" in record.result
    assert "search_logs" in record.result


def _answered(*answers: dict[str, object]) -> list[dict[str, str]]:
    """A step request carrying human answers the way the step prompt does."""
    block = json.dumps(list(answers))
    content = f'Decide.\n\n<data source="human-answers" trust="untrusted">\n{block}\n</data>'
    return [{"role": "user", "content": content}]


SEVERITY = {
    "plan": [
        {
            "cases": [
                {"when": {"question": "sev2 or sev3", "answer": "^SEV3"}, "output": "minor"},
                {"when": {"question": "roll back", "approved": False}, "output": "kept"},
            ],
            "default": {"output": "major"},
        }
    ]
}


async def test_a_case_serves_the_call_when_an_answer_matches_it() -> None:
    request = _answered({"question": "Classify as SEV2 or SEV3?", "text": "sev3", "choice": "SEV3"})
    response = await ScriptedModel(SEVERITY).generate(ModelRequest("plan", request))
    assert response.output == "minor"


async def test_a_case_can_match_whether_an_approval_was_given() -> None:
    request = _answered({"question": "Roll back checkout?", "text": "no", "approved": False})
    response = await ScriptedModel(SEVERITY).generate(ModelRequest("plan", request))
    assert response.output == "kept"


async def test_the_default_serves_the_call_when_no_case_holds() -> None:
    request = _answered({"question": "Classify as SEV2 or SEV3?", "text": "SEV2", "choice": "SEV2"})
    response = await ScriptedModel(SEVERITY).generate(ModelRequest("plan", request))
    assert response.output == "major"


async def test_an_answer_to_another_question_does_not_match_a_case() -> None:
    request = _answered({"question": "Which service first?", "text": "SEV3 please"})
    response = await ScriptedModel(SEVERITY).generate(ModelRequest("plan", request))
    assert response.output == "major"


async def test_no_matching_case_without_a_default_names_the_call_and_the_answers() -> None:
    script = {"plan": [{"cases": [{"when": {"answer": "SEV3"}, "output": "minor"}]}]}
    model = ScriptedModel(script, source="incidents/script.yaml")
    with pytest.raises(ScriptedModelError) as caught:
        await model.generate(ModelRequest("plan", _answered({"question": "q", "text": "SEV2"})))
    assert str(caught.value) == (
        "the model script incidents/script.yaml has no reply for call 1 of 'plan': "
        "no case holds (answers: 'SEV2'); add one (a `cases:` reply with a `default:` "
        "covers any answer)"
    )


def test_a_case_with_a_broken_pattern_fails_when_the_script_loads() -> None:
    script = {"plan": [{"cases": [{"when": {"answer": "SEV("}, "output": "x"}]}]}
    with pytest.raises(ConfigError, match=r"plan\[0\].*not a regular expression"):
        ScriptedModel(script, source="s.yaml")


async def test_replies_an_earlier_process_used_are_skipped_and_calls_numbered_after_them() -> None:
    model = ScriptedModel({"plan": [{"output": "a"}, {"output": "b"}]}, used={"plan": 1})
    assert (await model.generate(ModelRequest("plan", ASK))).output == "b"
    with pytest.raises(ScriptedModelError, match="no reply for call 3 of 'plan': it has only 2"):
        await model.generate(ModelRequest("plan", ASK))


async def test_a_list_of_conditions_holds_only_when_each_is_met_by_some_answer() -> None:
    both = [{"question": "SEV2 or SEV3", "answer": "SEV3"}, {"question": "roll", "approved": False}]
    script = {"plan": [{"cases": [{"when": both, "output": "both"}], "default": {"output": "no"}}]}
    sev3 = {"question": "SEV2 or SEV3?", "text": "SEV3"}
    rejected = {"question": "Roll back?", "text": "reject", "approved": False}
    assert (await ScriptedModel(script).generate(ModelRequest("plan", _answered(sev3)))).output == (
        "no"
    )
    request = _answered(sev3, rejected)
    assert (await ScriptedModel(script).generate(ModelRequest("plan", request))).output == "both"


async def test_a_reply_the_call_cannot_use_is_not_used_up() -> None:
    model = ScriptedModel({"plan": [{"expect": "payments", "output": {"stpes": []}}]})
    with pytest.raises(ScriptedModelError, match="call 1 of 'plan'"):
        await model.generate(ModelRequest("plan", ASK))
    with pytest.raises(ScriptedModelError, match="does not fit Plan"):
        await model.generate(
            ModelRequest("plan", [{"role": "user", "content": "payments"}], schema=Plan)
        )
    assert model.remaining() == {"plan": 1}  # a fixed script would serve this call from here
