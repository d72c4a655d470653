"""Fixtures for the model layer: a respx-mocked OpenAI-compatible server and wire-format helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from agent.llm import OpenAIChatModel, RetryPolicy, allow_model_requests, forget_servers

from .wire import API_KEY, BASE_URL


@pytest.fixture(autouse=True)
def _fresh_servers() -> Iterator[None]:
    """Each test meets servers it knows nothing about, and leaves nothing learned behind."""
    forget_servers()
    yield
    forget_servers()


@pytest.fixture
def model_requests() -> Iterator[None]:
    """Allow model requests for a test whose HTTP goes through respx (against fresh servers)."""
    allow_model_requests(True)
    forget_servers()
    yield
    allow_model_requests(None)
    forget_servers()


@pytest.fixture
def api(model_requests: None) -> Iterator[respx.MockRouter]:
    """A mocked server; any request to another host fails instead of leaving the machine."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleeps() -> list[float]:
    """The delays the retry layer asked for (it never really sleeps in tests)."""
    return []


@pytest.fixture
def make_model(sleeps: list[float]) -> Callable[..., OpenAIChatModel]:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    def make(**kwargs: Any) -> OpenAIChatModel:
        return OpenAIChatModel(
            model="gpt-test",
            base_url=BASE_URL,
            api_key=API_KEY,
            http_client=httpx.AsyncClient(),
            retry=RetryPolicy(max_attempts=3, sleep=fake_sleep, jitter=lambda: 1.0),
            **kwargs,
        )

    return make
