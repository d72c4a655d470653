"""Keep a conversation inside the model's context window, deterministically.

A tool loop grows with every round: each tool result is appended and sent again.
Against a small context (llama-cpp-python's default 2048–8192 tokens) the request
soon overflows and the server answers HTTP 400, so the step fails for a reason no
retry can fix. With a known window (``?context=N`` on the model spec) each request
is fitted before it is sent: the oldest tool results are replaced by a one-line
stub (the model may call the tool again) until the estimate fits; what cannot be
made to fit raises :class:`ContextWindowError`, a model-output error, so the run
ends blocked with the reason instead of failing.

The estimate is deliberately pessimistic (about 3 characters a token, JSON and
tool schemas included) and uses no tokenizer, so the same conversation is always
cut the same way: a replayed cassette sees exactly the bodies it recorded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agent.errors import ModelOutputError
from agent.llm.base import Message

TEMPLATE_OVERHEAD = 256
"""Tokens kept free for the chat template's own text (role markers, tool preambles)."""


class ContextWindowError(ModelOutputError):
    """The request does not fit the model's context even with old tool results elided."""


def estimate(value: Any) -> int:
    """A pessimistic token count of ``value`` (≈3 characters a token)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return (len(text) + 2) // 3


def _stub(message: Message) -> Message:
    size = len(str(message.get("content") or ""))
    text = f"[tool result elided to fit the context window ({size} characters); call again]"
    return {**message, "content": text}


def fit(
    messages: Sequence[Message],
    *,
    context: int,
    reply: int,
    tools: Sequence[dict[str, Any]] = (),
) -> list[Message]:
    """``messages`` cut to fit ``context`` tokens with ``reply`` left for the answer.

    Tool results are elided oldest first, so the latest round's go last. A reply
    bound above a quarter of the window counts as a quarter (servers cut the reply to
    what is left). Raises :class:`ContextWindowError` when even that is not enough.
    """
    budget = context - min(reply, context // 4) - estimate(list(tools)) - TEMPLATE_OVERHEAD
    fitted = list(messages)
    sizes = [estimate(m) for m in fitted]
    total = sum(sizes)
    if total <= budget:
        return fitted
    olds = [i for i, m in enumerate(fitted) if m.get("role") == "tool"]
    for i in olds:
        if total <= budget:
            break
        stub = _stub(fitted[i])
        total += estimate(stub) - sizes[i]
        fitted[i], sizes[i] = stub, estimate(stub)
    if total > budget:
        raise ContextWindowError(
            f"the request needs about {total + reply} tokens with every tool result elided, "
            f"more than the model's context window of {context}",
            raw="",
        )
    return fitted
