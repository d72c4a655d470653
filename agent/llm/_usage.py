"""Token accounting across calls: per purpose (graph node) and for the whole run."""

from __future__ import annotations

from collections import defaultdict

from agent.llm.base import Usage


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
