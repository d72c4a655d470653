"""What we learned about each server, remembered for the life of the process.

A server that refused strict ``json_schema`` will refuse it again, so once one
request has stepped down, every model object for the same (base URL, model)
starts in the working mode instead of paying for the refusal again. The same
goes for servers that refuse ``tool_choice`` or want ``max_completion_tokens``,
and for the context window a server names when a request overflows it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

TokenParameter = Literal["max_tokens", "max_completion_tokens"]


@dataclass
class ServerProfile:
    """The request shape a (base URL, model) pair accepts, as far as we know yet."""

    mode: int = 0
    """Index into the structured-output modes of the weakest mode tried so far."""
    tool_choice: bool = True
    """Whether the server accepts an explicit ``tool_choice``."""
    format_schema: bool = True
    """Whether ``json_object`` mode may carry the schema in ``response_format.schema``."""
    token_parameter: TokenParameter = "max_tokens"
    """The name under which the server takes the reply bound."""
    context: int | None = None
    """The context window the server reported when a request overflowed it."""


_profiles: dict[tuple[str, str], ServerProfile] = {}
_lock = threading.Lock()


def profile_for(base_url: str, model: str) -> ServerProfile:
    """The shared profile of one server and model (created on first use)."""
    key = (base_url.rstrip("/"), model)
    with _lock:
        return _profiles.setdefault(key, ServerProfile())


def forget_servers() -> None:
    """Drop everything learned (tests start each case from a server we know nothing about)."""
    with _lock:
        _profiles.clear()
