"""A tool conversation is fitted into the model's context window, so a run ends cleanly."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx
from langchain_core.tools import tool

from agent.errors import ModelOutputError
from agent.llm import ModelRequest, OpenAIChatModel, build_model
from agent.llm._window import ContextWindowError, estimate, fit

from .wire import BASE_URL, completion, request_json

Factory = Callable[..., OpenAIChatModel]
ASK = [{"role": "user", "content": "Find the failing service."}]
BIG = "x" * 9000  # about 3000 tokens by the window's estimate


@tool
def search_logs(query: str) -> str:
    """Search the service logs."""
    return BIG


def _conversation(results: int) -> list[dict[str, str]]:
    messages = list(ASK)
    for i in range(results):
        messages += [
            {"role": "assistant", "content": "", "tool_calls": []},  # type: ignore[dict-item]
            {"role": "tool", "tool_call_id": f"c{i}", "content": f"{i}{BIG}"},
        ]
    return messages


def test_a_conversation_that_fits_is_sent_as_it_is() -> None:
    messages = _conversation(1)
    assert fit(messages, context=8192, reply=512) == messages


def test_the_oldest_tool_results_are_elided_first_until_it_fits() -> None:
    fitted = fit(_conversation(4), context=8192, reply=512)
    tools = [m["content"] for m in fitted if m["role"] == "tool"]
    assert tools[0].startswith("[tool result elided to fit the context window (9001 characters)")
    assert tools[1].startswith("[tool result elided")
    assert tools[2:] == [f"2{BIG}", f"3{BIG}"]
    assert sum(estimate(m) for m in fitted) + 512 + 256 <= 8192


def test_the_same_conversation_is_always_cut_the_same_way() -> None:
    assert fit(_conversation(4), context=8192, reply=512) == fit(
        _conversation(4), context=8192, reply=512
    )


def test_what_cannot_fit_even_elided_is_a_model_output_error() -> None:
    with pytest.raises(ContextWindowError, match="context window of 2048") as caught:
        fit([{"role": "user", "content": BIG}], context=2048, reply=512)
    assert isinstance(caught.value, ModelOutputError)  # a step ends blocked, not failed


async def test_the_spec_context_fits_every_round_of_a_tool_loop(api: respx.MockRouter) -> None:
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(200, json=completion(tool_calls=[("c1", "search_logs", {"query": "a"})])),
        httpx.Response(200, json=completion(tool_calls=[("c2", "search_logs", {"query": "b"})])),
        httpx.Response(200, json=completion(tool_calls=[("c3", "search_logs", {"query": "c"})])),
        httpx.Response(200, json=completion("checkout")),
    ]
    model = build_model(f"smol@{BASE_URL}?context=8192", http_client=httpx.AsyncClient(), env={})
    response = await model.generate(ModelRequest("triage", ASK, tools=[search_logs]))
    assert response.output == "checkout"
    last = request_json(route.calls.last)["messages"]
    sent = [m["content"] for m in last if m["role"] == "tool"]
    assert sent[0].startswith("[tool result elided")
    assert sent[-1] == BIG
    # the transcript keeps what the tools really answered
    assert [m["content"] for m in response.messages if m["role"] == "tool"] == [BIG] * 3


OVERFLOW = {
    "error": {
        "message": "This model's maximum context length is 8192 tokens. However, you requested "
        "9100 tokens (7052 in the messages, 2048 in the completion).",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}


async def test_a_window_the_server_names_on_overflow_is_learned_and_the_request_fitted(
    api: respx.MockRouter, make_model: Factory
) -> None:
    route = api.post("/chat/completions")
    route.side_effect = [
        httpx.Response(400, json=OVERFLOW),
        httpx.Response(200, json=completion("checkout")),
    ]
    messages = _conversation(3)
    response = await make_model().generate(ModelRequest("triage", messages))
    assert response.output == "checkout"
    sent = request_json(route.calls.last)["messages"]
    assert sent[2]["content"].startswith("[tool result elided")
    assert len(route.calls) == 2


async def test_an_overflow_of_a_fitted_request_ends_the_call_as_unusable(
    api: respx.MockRouter, make_model: Factory
) -> None:
    api.post("/chat/completions").respond(400, json=OVERFLOW)
    with pytest.raises(ContextWindowError, match="8192 tokens even when fitted"):
        await make_model().generate(ModelRequest("triage", _conversation(3)))


def test_the_context_option_is_checked() -> None:
    with pytest.raises(Exception, match="context takes a positive integer"):
        build_model(f"smol@{BASE_URL}?context=big", env={})
