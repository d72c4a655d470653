"""Structured output steps down on refusals, remembers what works, and can be forced."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx
from pydantic import BaseModel

from agent.errors import ModelAPIError, ModelRetryExhausted
from agent.llm import ModelRequest, OpenAIChatModel, build_model

from .wire import BASE_URL, completion, request_json

Factory = Callable[..., OpenAIChatModel]
ASK = [{"role": "user", "content": "Classify the checkout outage."}]
VERDICT = '{"level": "SEV2", "reason": "5xx"}'


class Severity(BaseModel):
    level: str
    reason: str


def _structured() -> ModelRequest[Severity]:
    return ModelRequest("triage", ASK, schema=Severity)


def _formats(route: respx.Route) -> list[str | None]:
    return [(request_json(c).get("response_format") or {}).get("type") for c in route.calls]


@pytest.mark.parametrize("status", [400, 404, 422, 500, 501])
async def test_any_status_whose_body_refuses_the_format_steps_down_without_a_retry(
    api: respx.MockRouter, make_model: Factory, sleeps: list[float], status: int
) -> None:
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(status, json={"error": {"message": "response_format is not supported"}}),
        httpx.Response(200, json=completion(VERDICT)),
    ]
    response = await make_model().generate(_structured())
    assert _formats(route) == ["json_schema", "json_object"]
    assert response.structured_mode == "json_object"
    assert sleeps == []


async def test_a_500_that_blames_nothing_is_still_retried_as_a_fault(
    api: respx.MockRouter, make_model: Factory, sleeps: list[float]
) -> None:
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(500, json={"error": {"message": "CUDA out of memory"}}),
        httpx.Response(200, json=completion(VERDICT)),
    ]
    response = await make_model().generate(_structured())
    assert _formats(route) == ["json_schema", "json_schema"]
    assert response.structured_mode == "json_schema"
    assert len(sleeps) == 1


async def test_the_full_step_down_goes_json_schema_json_object_tool_prompt(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(400, json={"error": {"message": "json_schema unsupported"}}),
        httpx.Response(400, json={"error": {"message": "response_format.schema unsupported"}}),
        httpx.Response(400, json={"error": {"message": "response_format unsupported"}}),
        httpx.Response(400, json={"error": {"message": "tool_choice unsupported"}}),
        httpx.Response(200, json=completion(VERDICT)),
    ]
    response = await make_model().generate(_structured())
    sent = [request_json(c) for c in route.calls]
    assert _formats(route) == ["json_schema", "json_object", "json_object", None, None]
    assert "schema" in sent[1]["response_format"]
    assert "schema" not in sent[2]["response_format"]
    assert sent[3]["tools"][0]["function"]["name"] == "final_answer"
    assert "tools" not in sent[4]
    assert response.structured_mode == "prompt"


async def test_a_server_refusing_the_schema_key_gets_plain_json_mode_from_then_on(
    api: respx.MockRouter, make_model: Factory
) -> None:
    unexpected = "Additional properties are not allowed ('schema' was unexpected)"
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(400, json={"error": {"message": "json_schema unsupported"}}),
        httpx.Response(400, json={"error": {"message": unexpected, "param": "response_format"}}),
        httpx.Response(200, json=completion(VERDICT)),
        httpx.Response(200, json=completion(VERDICT)),
    ]
    response = await make_model().generate(_structured())
    await make_model().generate(_structured())
    sent = [request_json(c)["response_format"] for c in route.calls]
    assert sent[2:] == [{"type": "json_object"}, {"type": "json_object"}]
    assert response.structured_mode == "json_object"


async def test_a_refusal_in_the_last_mode_is_an_api_error_quoting_the_body(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions").respond(
        500, json={"error": {"message": "response_format: Input should be 'text'"}}
    )
    with pytest.raises(ModelAPIError, match="Input should be 'text'") as caught:
        await make_model(structured_mode="json_schema").generate(_structured())
    assert not isinstance(caught.value, ModelRetryExhausted)
    assert "forces the json_schema mode" in str(caught.value)
    assert route.call_count == 1


async def test_the_working_mode_is_remembered_per_base_url_and_model(
    api: respx.MockRouter, make_model: Factory
) -> None:
    refused = httpx.Response(400, json={"error": {"message": "json_schema unsupported"}})
    route = api.post("/chat/completions")
    route.side_effect = [refused, *(httpx.Response(200, json=completion(VERDICT)),) * 3]
    await make_model().generate(_structured())
    await make_model().generate(_structured())
    other = OpenAIChatModel(
        model="another-model", base_url=BASE_URL, api_key="k", http_client=httpx.AsyncClient()
    )
    await other.generate(_structured())
    assert _formats(route) == ["json_schema", "json_object", "json_object", "json_schema"]


async def test_a_spec_option_forces_the_mode_from_the_first_request(
    api: respx.MockRouter,
) -> None:
    route = api.post("/chat/completions").respond(200, json=completion(VERDICT))
    model = build_model(
        f"qwen@{BASE_URL}?structured=json_object", http_client=httpx.AsyncClient(), env={}
    )
    response = await model.generate(_structured())
    assert _formats(route) == ["json_object"]
    assert response.structured_mode == "json_object"


async def test_a_forced_tool_mode_sends_the_answer_tool_and_parses_its_arguments(
    api: respx.MockRouter, make_model: Factory
) -> None:
    answer = completion(tool_calls=[("c1", "final_answer", {"level": "SEV2", "reason": "5xx"})])
    route = api.post("/chat/completions").respond(200, json=answer)
    response = await make_model(structured_mode="tool").generate(_structured())
    assert response.output == Severity(level="SEV2", reason="5xx")
    assert request_json(route.calls.last)["tool_choice"]["function"]["name"] == "final_answer"


async def test_an_invalid_answer_tool_call_is_repaired_like_any_reply(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(200, json=completion(tool_calls=[("c1", "final_answer", {"level": 2})])),
        httpx.Response(
            200,
            json=completion(tool_calls=[("c2", "final_answer", {"level": "SEV2", "reason": "x"})]),
        ),
    ]
    response = await make_model(structured_mode="tool").generate(_structured())
    assert response.output == Severity(level="SEV2", reason="x")
    repair = request_json(route.calls.last)["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"level": 2}'}
    assert "reason" in repair[-1]["content"]


async def test_a_model_wanting_max_completion_tokens_gets_it(
    api: respx.MockRouter, make_model: Factory
) -> None:
    refusal = (
        "Unsupported parameter: 'max_tokens' is not supported with this model. "
        "Use 'max_completion_tokens' instead."
    )
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(400, json={"error": {"message": refusal, "param": "max_tokens"}}),
        httpx.Response(200, json=completion("ok")),
    ]
    await make_model().generate(ModelRequest("triage", ASK, max_tokens=300))
    last = request_json(route.calls.last)
    assert (last.get("max_tokens"), last["max_completion_tokens"]) == (None, 300)
