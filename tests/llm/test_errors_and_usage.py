"""Errors quote the server (scrubbed); usage counts every call, also those of a failed request."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx
from langchain_core.tools import tool
from pydantic import BaseModel

from agent.errors import ModelAPIError, ModelOutputError, ModelRetryExhausted, ToolLoopError
from agent.llm import ModelRequest, OpenAIChatModel, Usage, usage_of

from .wire import API_KEY, completion

Factory = Callable[..., OpenAIChatModel]
ASK = [{"role": "user", "content": "Classify the checkout outage."}]


class Severity(BaseModel):
    level: str
    reason: str


@tool
def search_logs(query: str) -> str:
    """Search the service logs."""
    return f"3 errors matching {query}"


async def test_retry_exhausted_quotes_the_last_error_body(
    api: respx.MockRouter, make_model: Factory
) -> None:
    api.post("/chat/completions").respond(500, json={"error": {"message": "KV cache full"}})
    with pytest.raises(ModelRetryExhausted) as caught:
        await make_model().generate(ModelRequest("triage", ASK))
    message = str(caught.value)
    assert "after 3 attempts (HTTP 500)" in message
    assert "KV cache full" in message
    assert "HTTP 500 (HTTP 500)" not in message


@pytest.mark.parametrize("body", [{"error": "overloaded"}, {"choices": []}, [1, 2]])
async def test_a_reply_that_is_not_a_chat_completion_is_an_api_error_quoting_it(
    api: respx.MockRouter, make_model: Factory, body: object
) -> None:
    api.post("/chat/completions").respond(200, json=body)
    with pytest.raises(ModelAPIError) as caught:
        await make_model().generate(ModelRequest("triage", ASK))
    assert "not a chat completion" in str(caught.value)
    assert caught.value.status == 200
    assert caught.value.body.startswith(("{", "["))


async def test_a_refused_request_quotes_the_body_scrubbed_of_secrets(
    api: respx.MockRouter, make_model: Factory
) -> None:
    body = (
        f"bad request from key {API_KEY} with Authorization: Bearer abcdefgh12345678 password=pw1"
    )
    api.post("/chat/completions").respond(422, text=body)
    with pytest.raises(ModelAPIError) as caught:
        await make_model().generate(ModelRequest("triage", ASK))
    message = str(caught.value)
    assert "bad request from key" in message
    assert API_KEY not in message
    assert "abcdefgh12345678" not in message
    assert "pw1" not in message
    assert "[redacted:" in message


async def test_a_long_error_body_is_quoted_to_its_first_300_characters(
    api: respx.MockRouter, make_model: Factory
) -> None:
    api.post("/chat/completions").respond(422, text="A" * 250 + "B" * 100 + "TAIL")
    with pytest.raises(ModelAPIError) as caught:
        await make_model().generate(ModelRequest("triage", ASK))
    assert "A" * 250 + "B" * 50 in caught.value.body
    assert "TAIL" not in str(caught.value)


async def test_repair_rounds_and_tool_rounds_all_count_in_usage(
    api: respx.MockRouter, make_model: Factory
) -> None:
    api.post("/chat/completions").side_effect = [
        httpx.Response(200, json=completion(tool_calls=[("c1", "search_logs", {"query": "x"})])),
        httpx.Response(200, json=completion('{"level": "SEV2"}')),
        httpx.Response(200, json=completion('{"level": "SEV2", "reason": "5xx"}')),
    ]
    request = ModelRequest("triage", ASK, schema=Severity, tools=[search_logs])
    response = await make_model().generate(request)
    assert response.usage == Usage(prompt_tokens=33, completion_tokens=21, calls=3)
    assert response.usage.reported


async def test_a_failed_request_carries_the_usage_it_spent(
    api: respx.MockRouter, make_model: Factory
) -> None:
    api.post("/chat/completions").respond(200, json=completion("not json"))
    with pytest.raises(ModelOutputError) as caught:
        await make_model(max_repairs=1).generate(ModelRequest("triage", ASK, schema=Severity))
    assert usage_of(caught.value) == Usage(prompt_tokens=22, completion_tokens=14, calls=2)


async def test_a_request_failing_after_tool_rounds_still_counts_them(
    api: respx.MockRouter, make_model: Factory
) -> None:
    api.post("/chat/completions").side_effect = [
        httpx.Response(200, json=completion(tool_calls=[("c1", "search_logs", {"query": "x"})])),
        httpx.Response(401, json={"error": {"message": "key revoked"}}),
    ]
    with pytest.raises(ModelAPIError) as caught:
        await make_model().generate(ModelRequest("triage", ASK, tools=[search_logs]))
    assert usage_of(caught.value).calls == 1
    assert usage_of(caught.value).prompt_tokens == 11


async def test_a_tool_loop_error_carries_every_call_of_the_loop(
    api: respx.MockRouter, make_model: Factory
) -> None:
    looping = completion(tool_calls=[("c1", "search_logs", {"query": "x"})])
    api.post("/chat/completions").respond(200, json=looping)
    with pytest.raises(ToolLoopError) as caught:
        await make_model().generate(
            ModelRequest("triage", ASK, tools=[search_logs], max_tool_rounds=1)
        )
    assert usage_of(caught.value).calls == 3  # two tool rounds' replies and the last call


def test_an_exception_without_attached_usage_reads_as_zero() -> None:
    assert usage_of(ModelAPIError("boom")) == Usage()


def test_usage_adds_up_estimated_calls_too() -> None:
    total = Usage(prompt_tokens=1, calls=1) + Usage(prompt_tokens=2, calls=1, estimated_calls=1)
    assert total == Usage(prompt_tokens=3, calls=2, estimated_calls=1)
    assert not total.reported
