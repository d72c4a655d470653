"""The one retry layer for model calls: exponential backoff with jitter, honouring Retry-After.

The openai SDK is built with ``max_retries=0`` and graph nodes carry no LangGraph
RetryPolicy for model faults, so a failing call is retried here and nowhere else
(stacked retry layers multiply: 3 × 3 × 3 attempts hide an outage for minutes).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

RETRY_STATUSES = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    """Timeouts, conflicts, rate limits and server faults may pass; other 4xx never will."""
    return status in RETRY_STATUSES or status >= 500


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class TransientFault(Exception):
    """A failure worth retrying, with the server's Retry-After hint and its (scrubbed) body."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        body: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.body = body


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry; ``sleep``/``jitter`` are injectable for tests."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Wait before retry number ``attempt`` (1-based); the server's hint wins when given."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        backoff = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay)
        # "equal jitter": never zero, never bunched with other clients
        return float(backoff * (0.5 + self.jitter() / 2))
