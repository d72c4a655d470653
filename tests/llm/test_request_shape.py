"""What every request carries: a reply bound, tool_choice beside tools, no null content."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import respx
from langchain_core.tools import tool

from agent.llm import DEFAULT_MAX_TOKENS, ModelRequest, OpenAIChatModel, build_model

from .wire import BASE_URL, completion, request_json

Factory = Callable[..., OpenAIChatModel]
ASK = [{"role": "user", "content": "Classify the checkout outage."}]


@tool
def search_logs(query: str) -> str:
    """Search the service logs."""
    return f"3 errors matching {query}"


async def test_every_request_carries_the_default_max_tokens(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions").respond(200, json=completion("ok"))
    await make_model().generate(ModelRequest("triage", ASK))
    assert request_json(route.calls.last)["max_tokens"] == DEFAULT_MAX_TOKENS == 2048


async def test_a_caller_sets_max_tokens_per_purpose(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions").respond(200, json=completion("ok"))
    model = make_model()
    await model.generate(ModelRequest("postmortem", ASK, max_tokens=4096))
    await model.generate(ModelRequest("judge", ASK, max_tokens=256))
    assert [request_json(c)["max_tokens"] for c in route.calls] == [4096, 256]


async def test_no_max_tokens_on_a_request_still_sends_the_default(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions").respond(200, json=completion("ok"))
    await make_model().generate(ModelRequest("triage", ASK, max_tokens=None))
    assert request_json(route.calls.last)["max_tokens"] == DEFAULT_MAX_TOKENS


async def test_the_spec_overrides_max_tokens_for_every_purpose(api: respx.MockRouter) -> None:
    route = api.post("/chat/completions").respond(200, json=completion("ok"))
    model = build_model(f"qwen@{BASE_URL}?max_tokens=1024", http_client=httpx.AsyncClient(), env={})
    await model.generate(ModelRequest("postmortem", ASK, max_tokens=4096))
    assert request_json(route.calls.last)["max_tokens"] == 1024


async def test_tools_are_offered_with_an_explicit_tool_choice_auto(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions").respond(200, json=completion("nothing to search"))
    await make_model().generate(ModelRequest("triage", ASK, tools=[search_logs]))
    assert request_json(route.calls.last)["tool_choice"] == "auto"


async def test_a_request_without_tools_sends_no_tool_choice(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions").respond(200, json=completion("ok"))
    await make_model().generate(ModelRequest("triage", ASK))
    assert "tool_choice" not in request_json(route.calls.last)


async def test_a_tool_call_turn_is_sent_back_with_empty_content_never_null(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(200, json=completion(tool_calls=[("c1", "search_logs", {"query": "5xx"})])),
        httpx.Response(200, json=completion("3 errors")),
    ]
    response = await make_model().generate(ModelRequest("triage", ASK, tools=[search_logs]))
    turn = request_json(route.calls.last)["messages"][1]
    assert turn["role"] == "assistant"
    assert turn["content"] == ""
    assert response.messages[1]["content"] == ""


async def test_a_call_of_a_tool_never_offered_is_answered_as_unknown_not_fatal(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(200, json=completion(tool_calls=[("c1", "search_logs", {"query": "x"})])),
        httpx.Response(200, json=completion("SEV2")),
    ]
    response = await make_model().generate(ModelRequest("triage", ASK))
    assert response.output == "SEV2"
    assert "unknown tool 'search_logs'" in response.tool_calls[0].result
    assert "tools" not in request_json(route.calls.last)
