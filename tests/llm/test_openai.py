"""The real client against a respx-mocked OpenAI-compatible server (the genuine openai SDK runs)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest
import respx
from langchain_core.tools import tool
from pydantic import BaseModel

from agent.errors import ModelAPIError, ModelOutputError, ModelRetryExhausted, ToolLoopError
from agent.llm import ModelRequest, OpenAIChatModel, Usage, UsageMeter
from agent.llm._retry import parse_retry_after
from agent.llm._structured import REPAIR_ECHO_CHARS
from agent.llm.base import ModelResponse

from .wire import API_KEY, chunk, completion, request_json, sse

Factory = Callable[..., OpenAIChatModel]
ASK = [{"role": "user", "content": "Classify the checkout outage."}]


class Severity(BaseModel):
    level: str
    reason: str


def _route(api: respx.MockRouter) -> respx.Route:
    return api.post("/chat/completions")


async def test_a_plain_request_returns_the_reply_text(
    api: respx.MockRouter, make_model: Factory
) -> None:
    _route(api).respond(200, json=completion("SEV2"))
    response = await make_model().generate(ModelRequest("triage", ASK))
    assert response.output == "SEV2"
    assert response.messages[-1] == {"role": "assistant", "content": "SEV2"}
    assert response.model == "gpt-test"
    assert response.latency_ms > 0


async def test_a_structured_request_asks_for_a_strict_json_schema(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api).respond(200, json=completion('{"level": "SEV2", "reason": "5xx"}'))
    response = await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.output == Severity(level="SEV2", reason="5xx")
    sent = request_json(route.calls.last)["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["schema"]["additionalProperties"] is False
    assert sent["json_schema"]["schema"]["required"] == ["level", "reason"]


async def _repaired(
    api: respx.MockRouter, make_model: Factory, first: dict[str, Any]
) -> tuple[ModelResponse[Any], list[dict[str, Any]]]:
    """A structured request whose first reply is ``first`` and second is valid: the
    response, and the messages of the repair request."""
    route = _route(api)
    good = completion('{"level": "SEV2", "reason": "5xx"}')
    route.side_effect = [httpx.Response(200, json=first), httpx.Response(200, json=good)]
    response = await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.output == Severity(level="SEV2", reason="5xx")
    messages: list[dict[str, Any]] = request_json(route.calls.last)["messages"]
    return response, messages


async def test_a_schema_violation_is_repaired_by_showing_the_model_the_error(
    api: respx.MockRouter, make_model: Factory
) -> None:
    response, messages = await _repaired(api, make_model, completion('{"level": "SEV2"}'))
    repair = messages[-1]
    assert repair["role"] == "user"
    assert "reason" in repair["content"]
    assert "Field required" in repair["content"]
    assert response.usage.calls == 2


async def test_a_runaway_invalid_reply_is_sent_back_cut_in_the_repair_request(
    api: respx.MockRouter, make_model: Factory
) -> None:
    runaway = '{"level": "SEV2", "reason": "' + "the same words again " * 400
    _, messages = await _repaired(api, make_model, completion(runaway))
    echo = messages[-2]
    assert echo["role"] == "assistant"
    assert echo["content"].startswith(runaway[:REPAIR_ECHO_CHARS])
    assert len(echo["content"]) < REPAIR_ECHO_CHARS + 100 < len(runaway)
    assert f"{len(runaway) - REPAIR_ECHO_CHARS} more characters not shown" in echo["content"]


def _cut(content: str) -> dict[str, Any]:
    """A reply the server stopped at its token bound."""
    body = completion(content)
    body["choices"][0]["finish_reason"] = "length"
    return body


async def test_a_reply_cut_at_the_token_bound_is_asked_again_shorter(
    api: respx.MockRouter, make_model: Factory
) -> None:
    _, messages = await _repaired(api, make_model, _cut('{"level": "SEV2", "reason": "on and on'))
    repair = messages[-1]["content"]
    assert "cut off at the token limit" in repair
    assert "shorter" in repair
    assert [m["role"] for m in messages] == ["user", "user"]  # the runaway is not shown again


async def test_each_repair_shows_only_the_latest_attempt(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api)
    route.side_effect = [
        httpx.Response(200, json=completion('{"level": "first try"}')),
        httpx.Response(200, json=completion('{"level": "second try"}')),
        httpx.Response(200, json=completion('{"level": "SEV2", "reason": "5xx"}')),
    ]
    await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    last = request_json(route.calls.last)["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "user"]
    assert "second try" in last[1]["content"]
    assert "first try" not in str(last)


async def test_replies_always_cut_end_in_an_output_error_that_says_so(
    api: respx.MockRouter, make_model: Factory
) -> None:
    _route(api).respond(200, json=_cut('{"level": "SEV2", "reason": "and on'))
    with pytest.raises(ModelOutputError, match="cut off at its token bound"):
        await make_model(max_repairs=1).generate(ModelRequest("triage", ASK, schema=Severity))


async def test_a_raw_newline_inside_a_json_string_is_read_as_escaped(
    api: respx.MockRouter, make_model: Factory
) -> None:
    # SmolLM2 on llama-cpp-python writes these, and repeats them after a repair request
    route = _route(api).respond(
        200, json=completion('{"level": "SEV2",\n "reason": "5xx\nin eu-west\tonly"}')
    )
    response = await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.output == Severity(level="SEV2", reason="5xx\nin eu-west\tonly")
    assert route.call_count == 1


async def test_a_lenient_parse_still_checks_the_schema(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api).respond(200, json=completion('{"level": "SEV2\n"}'))
    with pytest.raises(ModelOutputError) as caught:
        await make_model(max_repairs=0).generate(ModelRequest("triage", ASK, schema=Severity))
    assert "reason: Field required" in caught.value.errors
    assert route.call_count == 1


async def test_an_exhausted_repair_raises_an_output_error_carrying_the_raw_reply(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api).respond(200, json=completion("not json at all"))
    with pytest.raises(ModelOutputError) as caught:
        await make_model(max_repairs=1).generate(ModelRequest("triage", ASK, schema=Severity))
    assert caught.value.raw == "not json at all"
    assert "Invalid JSON" in caught.value.errors
    assert route.call_count == 2


class Fields(BaseModel):
    severity: str | None = None
    owner: str | None = None


class Result(BaseModel):
    summary: str
    fields: Fields = Fields()


TYPED_WRONG = '{"summary": "mitigated", "fields": {"severity": {"level": 2}, "owner": "ana"}}'


async def test_an_invalid_optional_value_is_left_out_once_repairs_run_out(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api).respond(200, json=completion(TYPED_WRONG))
    request = ModelRequest("step", ASK, schema=Result, salvage=("fields",))
    response = await make_model(max_repairs=1).generate(request)
    assert response.output == Result(summary="mitigated", fields=Fields(owner="ana"))
    assert [(d.path, d.value) for d in response.dropped] == [("fields.severity", {"level": 2})]
    assert "string" in response.dropped[0].error
    assert route.call_count == 2  # the repair was still asked for first


async def test_without_salvage_the_same_reply_is_an_output_error(
    api: respx.MockRouter, make_model: Factory
) -> None:
    _route(api).respond(200, json=completion(TYPED_WRONG))
    with pytest.raises(ModelOutputError):
        await make_model(max_repairs=1).generate(ModelRequest("step", ASK, schema=Result))


async def test_a_repaired_reply_drops_nothing(api: respx.MockRouter, make_model: Factory) -> None:
    route = _route(api)
    route.side_effect = [
        httpx.Response(200, json=completion(TYPED_WRONG)),
        httpx.Response(200, json=completion('{"summary": "ok", "fields": {"severity": "SEV2"}}')),
    ]
    request = ModelRequest("step", ASK, schema=Result, salvage=("fields",))
    response = await make_model(max_repairs=1).generate(request)
    assert response.output == Result(summary="ok", fields=Fields(severity="SEV2"))
    assert response.dropped == []


async def test_a_server_without_json_schema_support_falls_back_to_json_object(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api)
    route.side_effect = [
        httpx.Response(400, json={"error": {"message": "response_format json_schema unsupported"}}),
        httpx.Response(200, json=completion('```json\n{"level": "SEV3", "reason": "slow"}\n```')),
    ]
    response = await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.output == Severity(level="SEV3", reason="slow")
    retried = request_json(route.calls.last)
    assert retried["response_format"] == {
        "type": "json_object",
        "schema": Severity.model_json_schema(),  # llama.cpp servers turn it into a grammar
    }
    assert "reason: string" in retried["messages"][0]["content"]  # the schema travels in the prompt
    assert response.structured_mode == "json_object"


@tool
def search_logs(query: str) -> str:
    """Search the service logs."""
    return f"3 errors matching {query}"


@tool
def page_oncall(team: str) -> str:
    """Page the on-call engineer of a team."""
    raise RuntimeError(f"pager for {team} is down")


async def test_parallel_tool_calls_run_and_a_failing_tool_becomes_a_tool_message(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api)
    route.side_effect = [
        httpx.Response(
            200,
            json=completion(
                tool_calls=[
                    ("call_a", "search_logs", {"query": "5xx"}),
                    ("call_b", "page_oncall", {"team": "payments"}),
                ]
            ),
        ),
        httpx.Response(200, json=completion("paged nobody; logs show 3 errors")),
    ]
    request = ModelRequest("triage", ASK, tools=[search_logs, page_oncall])
    response = await make_model().generate(request)
    assert [(r.name, r.error) for r in response.tool_calls] == [
        ("search_logs", False),
        ("page_oncall", True),
    ]
    assert "pager for payments is down" in response.tool_calls[1].result
    first = request_json(route.calls[0])
    assert [t["function"]["name"] for t in first["tools"]] == ["search_logs", "page_oncall"]
    fed_back = request_json(route.calls.last)["messages"]
    assert [(m["role"], m.get("tool_call_id")) for m in fed_back[-2:]] == [
        ("tool", "call_a"),
        ("tool", "call_b"),
    ]
    assert response.output == "paged nobody; logs show 3 errors"


async def test_a_model_at_the_tool_round_bound_gets_one_last_call_without_tools(
    api: respx.MockRouter, make_model: Factory
) -> None:
    looping = httpx.Response(
        200, json=completion(tool_calls=[("call_x", "search_logs", {"query": "again"})])
    )
    route = _route(api)
    route.side_effect = [looping, looping, looping, httpx.Response(200, json=completion("SEV2"))]
    response = await make_model().generate(
        ModelRequest("triage", ASK, tools=[search_logs], max_tool_rounds=2)
    )
    assert response.output == "SEV2"
    assert len(response.tool_calls) == 2  # the third round's calls were not run
    last = request_json(route.calls.last)
    assert "tools" not in last
    assert "tool_choice" not in last
    assert "no more tools" in last["messages"][-1]["content"]
    assert route.call_count == 4


async def test_a_model_that_calls_tools_even_in_the_last_call_raises_a_tool_loop_error(
    api: respx.MockRouter, make_model: Factory
) -> None:
    looping = completion(tool_calls=[("call_x", "search_logs", {"query": "again"})])
    route = _route(api).respond(200, json=looping)
    with pytest.raises(ToolLoopError, match="after 2 rounds and a last call without tools"):
        await make_model().generate(
            ModelRequest("triage", ASK, tools=[search_logs], max_tool_rounds=2)
        )
    assert route.call_count == 4


async def test_a_429_is_retried_after_the_retry_after_delay(
    api: respx.MockRouter, make_model: Factory, sleeps: list[float]
) -> None:
    _route(api).side_effect = [
        httpx.Response(429, headers={"retry-after": "7"}, json={"error": {"message": "slow down"}}),
        httpx.Response(200, json=completion("ok")),
    ]
    response = await make_model().generate(ModelRequest("triage", ASK))
    assert response.output == "ok"
    assert sleeps == [7.0]


async def test_repeated_500s_raise_retry_exhausted_after_the_bound(
    api: respx.MockRouter, make_model: Factory, sleeps: list[float]
) -> None:
    route = _route(api).respond(500, json={"error": {"message": "boom"}})
    with pytest.raises(ModelRetryExhausted, match="after 3 attempts") as caught:
        await make_model().generate(ModelRequest("triage", ASK))
    assert caught.value.status == 500
    assert route.call_count == 3  # exactly our bound: the SDK adds no retries of its own
    assert sleeps == [0.5, 1.0]  # exponential backoff (jitter pinned to its maximum)


async def test_a_401_is_not_retried_and_says_to_check_the_key(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api).respond(401, json={"error": {"message": "invalid api key"}})
    with pytest.raises(ModelAPIError, match="OPENAI_API_KEY") as caught:
        await make_model().generate(ModelRequest("triage", ASK))
    assert caught.value.status == 401
    assert route.call_count == 1


async def test_other_client_errors_are_not_retried(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api).respond(422, json={"error": {"message": "bad messages"}})
    with pytest.raises(ModelAPIError, match="refused") as caught:
        await make_model().generate(ModelRequest("triage", ASK))
    assert "bad messages" in caught.value.body
    assert route.call_count == 1


async def test_a_read_timeout_is_retried(
    api: respx.MockRouter, make_model: Factory, sleeps: list[float]
) -> None:
    _route(api).side_effect = [
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json=completion("ok")),
    ]
    response = await make_model().generate(ModelRequest("triage", ASK))
    assert response.output == "ok"
    assert len(sleeps) == 1


async def test_streaming_forwards_tokens_and_assembles_tool_call_deltas(
    api: respx.MockRouter, make_model: Factory
) -> None:
    first = [
        chunk({"role": "assistant", "content": "Checking "}),
        chunk({"content": "logs"}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "search_logs", "arguments": '{"que'},
                    },
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ry": "5xx"}'}}]}),
        chunk({}, finish="tool_calls"),
        {
            **chunk({}),
            "choices": [],
            "usage": {"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24},
        },
    ]
    second = [chunk({"content": "Found 3"}), chunk({"content": " errors"}, finish="stop")]
    route = _route(api)
    route.side_effect = [sse(first), sse(second)]
    tokens: list[str] = []
    request = ModelRequest("triage", ASK, tools=[search_logs], on_token=tokens.append)
    response = await make_model().generate(request)
    assert tokens == ["Checking ", "logs", "Found 3", " errors"]
    assert response.tool_calls[0].args == {"query": "5xx"}
    assert response.tool_calls[0].result == "3 errors matching 5xx"
    assert response.output == "Found 3 errors"
    assert request_json(route.calls[0])["stream_options"] == {"include_usage": True}
    assert response.usage.prompt_tokens > 20  # 20 reported, plus an estimate for the second
    assert response.usage.estimated_calls == 1  # the second stream had no usage chunk


async def test_a_stream_cut_off_before_it_finishes_is_retried_not_used(
    api: respx.MockRouter, make_model: Factory
) -> None:
    _route(api).side_effect = [
        sse([chunk({"content": "SEV"})], done=False),
        sse([chunk({"content": "SEV1"}, finish="stop")]),
    ]
    tokens: list[str] = []
    response = await make_model().generate(ModelRequest("triage", ASK, on_token=tokens.append))
    assert response.output == "SEV1"


async def test_usage_adds_up_per_call_per_purpose_and_per_run(
    api: respx.MockRouter, make_model: Factory
) -> None:
    _route(api).side_effect = [
        httpx.Response(200, json=completion("a", prompt_tokens=10, completion_tokens=1)),
        httpx.Response(200, json=completion("b", prompt_tokens=20, completion_tokens=2)),
        httpx.Response(200, json=completion("c", prompt_tokens=40, completion_tokens=4)),
    ]
    model, meter = make_model(), UsageMeter()
    for purpose in ("plan", "plan", "audit"):
        meter.add(purpose, (await model.generate(ModelRequest(purpose, ASK))).usage)
    assert meter.by_purpose["plan"] == Usage(prompt_tokens=30, completion_tokens=3, calls=2)
    assert meter.total == Usage(prompt_tokens=70, completion_tokens=7, calls=3)
    assert meter.total.total_tokens == 77


async def test_real_requests_fail_closed_in_the_test_suite(make_model: Factory) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post(url__regex=".*").respond(200, json=completion("leaked"))
        with pytest.raises(ModelAPIError, match="disabled"):
            await make_model().generate(ModelRequest("triage", ASK))
    assert route.call_count == 0


async def test_the_api_key_never_appears_in_debug_logs(
    api: respx.MockRouter, make_model: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    _route(api).side_effect = [
        httpx.Response(503, json={"error": {"message": "busy"}}),
        httpx.Response(401, json={"error": {"message": "bad key"}}),
    ]
    with caplog.at_level(logging.DEBUG), pytest.raises(ModelAPIError):
        await make_model().generate(ModelRequest("triage", ASK))
    assert "retrying" in caplog.text  # logging did happen at DEBUG
    assert API_KEY not in caplog.text
    assert "Classify the checkout outage" not in caplog.text  # nor the prompt, by default


class _BrokenStream(httpx.AsyncByteStream):
    """An SSE body whose connection drops after the first event."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield f"data: {json.dumps(chunk({'content': 'SEV'}))}\n\n".encode()
        raise httpx.ReadError("connection reset")


async def test_a_stream_whose_connection_drops_is_retried(
    api: respx.MockRouter, make_model: Factory, sleeps: list[float]
) -> None:
    broken = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=_BrokenStream()
    )
    _route(api).side_effect = [broken, sse([chunk({"content": "SEV1"}, finish="stop")])]
    response = await make_model().generate(ModelRequest("triage", ASK, on_token=lambda _: None))
    assert response.output == "SEV1"
    assert len(sleeps) == 1


async def test_streams_cut_off_every_time_end_in_retry_exhausted(
    api: respx.MockRouter, make_model: Factory
) -> None:
    _route(api).side_effect = lambda _: sse([chunk({"content": "SEV"})], done=False)
    with pytest.raises(ModelRetryExhausted, match="before the reply was finished"):
        await make_model().generate(ModelRequest("triage", ASK, on_token=lambda _: None))


async def test_a_server_without_any_response_format_gets_a_forced_tool_call(
    api: respx.MockRouter, make_model: Factory
) -> None:
    rejected = {"error": {"message": "unknown parameter: response_format"}}
    answer = completion(tool_calls=[("c1", "final_answer", {"level": "SEV3", "reason": "slow"})])
    route = _route(api)
    route.side_effect = [
        httpx.Response(400, json=rejected),  # json_schema
        httpx.Response(400, json=rejected),  # json_object with the schema
        httpx.Response(400, json=rejected),  # plain json_object
        httpx.Response(200, json=answer),
    ]
    response = await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.output == Severity(level="SEV3", reason="slow")
    assert response.structured_mode == "tool"
    last = request_json(route.calls.last)
    assert "response_format" not in last
    assert [t["function"]["name"] for t in last["tools"]] == ["final_answer"]
    assert last["tools"][0]["function"]["parameters"] == Severity.model_json_schema()
    assert last["tool_choice"] == {"type": "function", "function": {"name": "final_answer"}}
    assert response.messages[-1] == {
        "role": "assistant",
        "content": '{"level": "SEV3", "reason": "slow"}',
    }


async def test_a_server_refusing_tools_too_gets_the_schema_in_the_prompt_only(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = _route(api)
    rejected = {"error": {"message": "unknown parameter: response_format"}}
    route.side_effect = [
        *[httpx.Response(400, json=rejected)] * 3,
        httpx.Response(400, json={"error": {"message": "tools are not supported"}}),
        httpx.Response(200, json=completion('{"level": "SEV3", "reason": "slow"}')),
    ]
    response = await make_model().generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.output == Severity(level="SEV3", reason="slow")
    assert response.structured_mode == "prompt"
    last = request_json(route.calls.last)
    assert "response_format" not in last
    assert "tools" not in last
    assert "reason: string" in last["messages"][0]["content"]


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("2.5", now=now) == 2.5
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after("soon", now=now) is None


async def test_model_data_is_logged_only_behind_the_explicit_flag(
    api: respx.MockRouter,
    make_model: Factory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _route(api).respond(200, json=completion("SEV2 because 5xx"))
    monkeypatch.setenv("SKILLWEAVE_LOG_MODEL_DATA", "1")
    with caplog.at_level(logging.DEBUG, logger="agent.llm"):
        await make_model().generate(ModelRequest("triage", ASK))
    assert "Classify the checkout outage" in caplog.text
    assert "SEV2 because 5xx" in caplog.text
