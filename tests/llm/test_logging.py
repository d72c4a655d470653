"""DEBUG logging never shows prompts or keys, whatever the SDK and httpx log at that level."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
import respx

from agent.llm import ModelRequest, OpenAIChatModel

from .wire import BASE_URL, completion

PROMPT = "zebra-quartz-prompt-7731 checkout outage"
KEY = "sk-distinctive-key-0123456789abcdefXYZ"
ASK = [{"role": "user", "content": PROMPT}]


@pytest.fixture
def debug_output() -> Iterator[io.StringIO]:
    """What ``logging.basicConfig(level=logging.DEBUG)`` would print, captured."""
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(saved)


@pytest.fixture
def model(model_requests: None) -> OpenAIChatModel:
    return OpenAIChatModel(
        model="gpt-test", base_url=BASE_URL, api_key=KEY, http_client=httpx.AsyncClient()
    )


def _old_sdk_logs_the_request() -> None:
    """What some openai SDK versions log at DEBUG: the request options, prompt and headers."""
    options = {"json_data": {"messages": ASK}, "headers": {"Authorization": f"Bearer {KEY}"}}
    logging.getLogger("openai._base_client").debug("Request options: %s", options)
    logging.getLogger("httpx").debug("request body %s api_key=%s", PROMPT, KEY)


async def test_a_real_call_at_debug_level_logs_neither_prompt_nor_key(
    api: respx.MockRouter, model: OpenAIChatModel, debug_output: io.StringIO
) -> None:
    api.post("/chat/completions").respond(200, json=completion("SEV2"))
    await model.generate(ModelRequest("triage", ASK))
    text = debug_output.getvalue()
    assert "httpx INFO HTTP Request: POST" in text  # third-party logging did reach the handler
    assert PROMPT not in text
    assert KEY not in text


def test_payload_records_of_the_sdk_and_httpx_are_dropped(
    model: OpenAIChatModel, debug_output: io.StringIO
) -> None:
    _old_sdk_logs_the_request()
    text = debug_output.getvalue()
    assert PROMPT not in text
    assert KEY not in text


def test_model_data_shows_behind_the_flag_but_the_key_never_does(
    model: OpenAIChatModel, debug_output: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLWEAVE_LOG_MODEL_DATA", "1")
    _old_sdk_logs_the_request()
    text = debug_output.getvalue()
    assert PROMPT in text
    assert KEY not in text
    assert "[redacted:" in text


async def test_loggers_the_sdk_creates_later_are_guarded_at_the_next_request(
    api: respx.MockRouter, model: OpenAIChatModel, debug_output: io.StringIO
) -> None:
    late = logging.getLogger("openai.some_future_module")
    api.post("/chat/completions").respond(200, json=completion("SEV2"))
    await model.generate(ModelRequest("triage", ASK))
    late.debug("payload %s", PROMPT)
    assert PROMPT not in debug_output.getvalue()


def test_records_of_other_loggers_pass_untouched(
    model: OpenAIChatModel, debug_output: io.StringIO
) -> None:
    logging.getLogger("skillweave.test.other").debug("about %s", PROMPT)
    assert PROMPT in debug_output.getvalue()
