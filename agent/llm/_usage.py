"""Token accounting across calls: per purpose (graph node) and for the whole run.

When a server reports no usage the tokens are estimated and the call is counted
in ``Usage.estimated_calls``, so totals never silently read zero.
"""

from __future__ import annotations

from collections import defaultdict

from agent.llm.base import Message, Usage


class UsageMeter:
    """Adds up :class:`Usage` by purpose so a run can report cost per node and in total."""

    def __init__(self) -> None:
        self.by_purpose: dict[str, Usage] = defaultdict(Usage)

    def add(self, purpose: str, usage: Usage) -> None:
        """Count one call's usage under ``purpose``."""
        self.by_purpose[purpose] = self.by_purpose[purpose] + usage

    @property
    def total(self) -> Usage:
        """The sum over every purpose."""
        return sum(self.by_purpose.values(), Usage())


def estimate_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer (≈4 characters a token) for offline models."""
    return (len(text) + 3) // 4


def estimate_usage(sent: list[Message], content: str | None, arguments: list[str]) -> Usage:
    """One call's usage when the server reported none, flagged as estimated."""
    texts = [str(m.get("content") or "") for m in sent]
    texts += [
        str(c.get("function", {}).get("arguments", ""))
        for m in sent
        for c in m.get("tool_calls") or []
    ]
    prompt = "\n".join(texts)
    completion = (content or "") + "".join(arguments)
    return Usage(
        prompt_tokens=estimate_tokens(prompt),
        completion_tokens=estimate_tokens(completion),
        calls=1,
        estimated_calls=1,
    )


def usage_of(exc: BaseException) -> Usage:
    """The usage a failed ``generate`` spent before it raised (zero when none was attached).

    :class:`~agent.llm.OpenAIChatModel` attaches it as ``exc.usage`` on every
    :class:`~agent.errors.ModelError` it raises, so a failed step still counts its cost.
    """
    usage = getattr(exc, "usage", None)
    return usage if isinstance(usage, Usage) else Usage()


def attach_usage(exc: BaseException, usage: Usage) -> None:
    """Record on ``exc`` what was spent before it was raised (read back with :func:`usage_of`)."""
    exc.usage = usage  # type: ignore[attr-defined]
