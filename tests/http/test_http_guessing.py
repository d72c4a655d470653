"""Guessing tokens is slow: ten wrong ones from an address and it waits out the window."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from web_helpers import TOKENS

from agent.access import SignInGuard, TokenBook
from agent.http import ServerSettings, create_app


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: ServerSettings, book: TokenBook, clock: Clock) -> object:
    guarded = replace(book, guard=SignInGuard(limit=10, window=60, clock=clock))
    return create_app(replace(settings, tokens=guarded))


def client(app: object, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


async def guess(app: object, times: int) -> list[int]:
    codes = []
    for i in range(times):
        async with client(app, f"wrong-token-number-{i:04d}") as c:
            codes.append((await c.get("/api/runs")).status_code)
    return codes


async def test_ten_wrong_tokens_then_even_a_good_one_is_429_with_retry_after(app: object) -> None:
    assert await guess(app, 10) == [401] * 10
    async with client(app, TOKENS["dana"][0]) as dana:
        response = await dana.get("/api/runs")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"


async def test_after_the_window_a_good_token_works_again(app: object, clock: Clock) -> None:
    await guess(app, 10)
    clock.now += 60
    async with client(app, TOKENS["dana"][0]) as dana:
        assert (await dana.get("/api/runs")).status_code == 200


async def test_nine_wrong_tokens_do_not_lock_the_address(app: object) -> None:
    await guess(app, 9)
    async with client(app, TOKENS["dana"][0]) as dana:
        assert (await dana.get("/api/runs")).status_code == 200


async def test_requests_without_a_token_are_not_counted_as_guesses(app: object) -> None:
    async with client(app) as anonymous:
        codes = [(await anonymous.get("/api/runs")).status_code for _ in range(20)]
    assert set(codes) == {401}
    async with client(app, TOKENS["dana"][0]) as dana:
        assert (await dana.get("/api/runs")).status_code == 200


async def test_wrong_tokens_at_the_sign_in_form_count_too(app: object) -> None:
    async with client(app) as browser:
        codes = [
            (await browser.post("/login", data={"token": f"wrong-{i:020d}"})).status_code
            for i in range(11)
        ]
    assert codes == [401] * 10 + [429]
