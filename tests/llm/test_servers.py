"""The real client against the request/response shapes of the servers people run.

Each test drives :class:`OpenAIChatModel` (the genuine openai SDK over respx)
against a simulator from :mod:`tests.llm.servers` that refuses what that server
refuses, and asserts on the bodies actually sent: the structured-output mode,
``max_tokens``, ``tool_choice`` and ``content: ""`` on tool-call turns.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx
from langchain_core.tools import tool
from pydantic import BaseModel

from agent.errors import ModelRetryExhausted
from agent.llm import DEFAULT_MAX_TOKENS, ModelRequest, OpenAIChatModel

from . import servers
from .wire import chunk, completion, request_json, sse

Factory = Callable[..., OpenAIChatModel]
ASK = [{"role": "user", "content": "Classify the checkout outage."}]
VERDICT = '{"level": "SEV2", "reason": "5xx after deploy"}'


class Severity(BaseModel):
    level: str
    reason: str


@tool
def search_logs(query: str) -> str:
    """Search the service logs."""
    return f"3 errors matching {query}"


def _search(query: str = "5xx") -> dict[str, object]:
    return completion(tool_calls=[("call_1", "search_logs", {"query": query})])


def _serve(api: respx.MockRouter, responder: servers.Responder) -> respx.Route:
    return api.post("/chat/completions").mock(side_effect=responder)


def _structured_with_tools() -> ModelRequest[Severity]:
    return ModelRequest("triage", ASK, schema=Severity, tools=[search_logs])


async def test_openai_takes_a_strict_json_schema_with_tools_and_an_explicit_tool_choice(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _serve(api, servers.openai_server([_search(), completion(VERDICT)]))
    response = await make_model().generate(_structured_with_tools())
    assert response.output == Severity(level="SEV2", reason="5xx after deploy")
    assert response.structured_mode == "json_schema"
    first, second = (request_json(c) for c in route.calls)
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["strict"] is True
    assert first["tool_choice"] == "auto"
    assert first["max_tokens"] == DEFAULT_MAX_TOKENS
    assert second["messages"][1]["content"] == ""  # the tool-call turn, never null
    assert second["messages"][1]["tool_calls"][0]["function"]["name"] == "search_logs"


async def test_vllm_refusing_json_schema_with_a_400_steps_down_to_json_object(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _serve(api, servers.vllm_server([completion(VERDICT)]))
    response = await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.structured_mode == "json_object"
    sent = [request_json(c)["response_format"]["type"] for c in route.calls]
    assert sent == ["json_schema", "json_object"]


async def test_ollama_ignoring_strict_still_returns_json_in_one_call(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _serve(api, servers.ollama_server([completion(VERDICT)]))
    response = await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.output == Severity(level="SEV2", reason="5xx after deploy")
    assert (route.call_count, response.structured_mode) == (1, "json_schema")


async def test_llama_server_takes_json_schema_and_tools_when_started_with_jinja(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _serve(api, servers.llama_server([_search(), completion(VERDICT)]))
    response = await make_model().generate(_structured_with_tools())
    assert response.structured_mode == "json_schema"
    assert [r.name for r in response.tool_calls] == ["search_logs"]
    assert route.call_count == 2


async def test_llama_server_without_jinja_fails_with_its_own_advice_in_the_message(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _serve(api, servers.llama_server([], jinja=False))
    request = ModelRequest("triage", ASK, tools=[search_logs])
    with pytest.raises(ModelRetryExhausted, match="tools param requires --jinja flag"):
        await make_model().generate(request)
    assert route.call_count == 3  # a 500 that blames no parameter we can drop is retried


async def test_llama_cpp_python_gets_json_object_with_the_schema_and_tool_choice_auto(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _serve(api, servers.llama_cpp_python_server([_search(), completion(VERDICT)]))
    response = await make_model().generate(_structured_with_tools())
    assert response.output == Severity(level="SEV2", reason="5xx after deploy")
    assert response.structured_mode == "json_object"
    refused, tools_round, answer = (request_json(c) for c in route.calls)
    assert refused["response_format"]["type"] == "json_schema"  # the 500 that steps down
    assert tools_round["response_format"] == {
        "type": "json_object",
        "schema": Severity.model_json_schema(),
    }
    assert tools_round["tool_choice"] == "auto"  # without it the server ignores the tools
    assert answer["messages"][2] == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "search_logs", "arguments": '{"query": "5xx"}'},
            }
        ],
    }
    assert all(request_json(c)["max_tokens"] == DEFAULT_MAX_TOKENS for c in route.calls)


async def test_llama_cpp_python_refusal_is_not_retried_as_a_transient_fault(
    api: respx.MockRouter, make_model: Factory, sleeps: list[float]
) -> None:
    _serve(api, servers.llama_cpp_python_server([completion(VERDICT)]))
    await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert sleeps == []


async def test_a_second_model_for_the_same_server_starts_in_the_mode_that_worked(
    api: respx.MockRouter, make_model: Factory
) -> None:
    turns = [completion(VERDICT), completion(VERDICT)]
    route = _serve(api, servers.llama_cpp_python_server(turns))
    await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert route.call_count == 2
    again = await make_model().generate(ModelRequest("plan", ASK, schema=Severity))
    assert route.call_count == 3  # no second refusal
    assert request_json(route.calls.last)["response_format"]["type"] == "json_object"
    assert again.structured_mode == "json_object"


async def test_llama_cpp_python_streams_without_usage_are_estimated_and_flagged(
    api: respx.MockRouter, make_model: Factory
) -> None:
    api.post("/chat/completions").mock(
        return_value=sse([chunk({"content": "SEV2: "}), chunk({"content": "5xx"}, "stop")])
    )
    response = await make_model().generate(ModelRequest("triage", ASK, on_token=lambda _: None))
    assert response.output == "SEV2: 5xx"
    assert response.usage.estimated_calls == 1
    assert not response.usage.reported
    assert response.usage.prompt_tokens > 0
    assert response.usage.completion_tokens > 0


async def test_a_streamed_structured_request_steps_down_the_same_way(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _serve(api, servers.llama_cpp_python_server([_search(), completion(VERDICT)]))
    tokens: list[str] = []
    request = ModelRequest(
        "triage", ASK, schema=Severity, tools=[search_logs], on_token=tokens.append
    )
    response = await make_model().generate(request)
    assert response.output == Severity(level="SEV2", reason="5xx after deploy")
    assert response.structured_mode == "json_object"
    assert [request_json(c)["stream"] for c in route.calls] == [True, True, True]
    assert request_json(route.calls.last)["messages"][2]["content"] == ""
    assert tokens == [VERDICT]
    assert response.usage.estimated_calls == 2  # neither answered stream had a usage chunk


async def test_a_server_that_refuses_tool_choice_gets_tools_without_it_from_then_on(
    api: respx.MockRouter, make_model: Factory
) -> None:
    turns = [_search(), completion("3 errors"), completion("done")]
    route = _serve(api, servers.refuses_tool_choice(turns))
    response = await make_model().generate(ModelRequest("triage", ASK, tools=[search_logs]))
    assert response.output == "3 errors"
    assert [("tool_choice" in request_json(c)) for c in route.calls] == [True, False, False]
    await make_model().generate(ModelRequest("triage", ASK, tools=[search_logs]))
    assert "tool_choice" not in request_json(route.calls.last)  # remembered for this server
    assert route.call_count == 4


async def test_a_server_returning_usage_null_is_estimated_not_counted_as_zero(
    api: respx.MockRouter, make_model: Factory
) -> None:
    _serve(api, servers.null_usage([completion("SEV2")]))
    response = await make_model().generate(ModelRequest("triage", ASK))
    assert response.usage.calls == 1
    assert response.usage.estimated_calls == 1
    assert response.usage.prompt_tokens > 0


def test_the_simulators_refuse_what_their_servers_refuse() -> None:
    """The stand-ins themselves: a simulator that accepted everything would prove nothing."""
    strict = {"model": "m", "messages": ASK, "response_format": {"type": "json_schema"}}
    request = httpx.Request("POST", "https://x/v1/chat/completions", json=strict)
    assert servers.llama_cpp_python_server([])(request).status_code == 500
    assert servers.vllm_server([])(request).status_code == 400
    null = {"model": "m", "messages": [*ASK, {"role": "assistant", "content": None}]}
    request = httpx.Request("POST", "https://x/v1/chat/completions", json=null)
    assert servers.llama_cpp_python_server([])(request).status_code == 500
