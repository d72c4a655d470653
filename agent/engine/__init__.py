"""Run, pause, resume and inspect skill runs durably.

The deadline keepers are importable from here (loaded on first use, so importing
a submodule such as the store does not load the graph):
:func:`~agent.engine.deadlines.next_deadline` and
:func:`~agent.engine.deadlines.apply_deadlines`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.engine.deadlines import apply_deadlines, next_deadline

__all__ = ["apply_deadlines", "next_deadline"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("agent.engine.deadlines"), name)
    raise AttributeError(f"module 'agent.engine' has no attribute {name!r}")
