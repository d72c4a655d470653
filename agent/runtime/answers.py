"""Match prepared answers (an answers file, an eval scenario) to a run's pending questions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Answer = str | dict[str, str]
"""An answer as the run API takes it: the text, or ``{text, by}`` saying who gave it."""


def match_answers(
    questions: list[dict[str, Any]], given: Mapping[str, Answer], done: set[str]
) -> dict[str, Answer]:
    """Answers for the pending questions not answered yet: by id, then trigger, then text."""
    matched: dict[str, Answer] = {}
    by_key = {" ".join(k.split()): v for k, v in given.items()}  # text as typed, any spacing
    for q in questions:
        keys = (q["id"], q.get("trigger"), " ".join(str(q["text"]).split()))
        found = next((by_key[k] for k in keys if k and k in by_key), None)
        if q["id"] not in done and found is not None:
            matched[q["id"]] = found
    return matched
