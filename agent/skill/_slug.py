"""Stable ids from text: the same words always give the same id."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def slugify(text: str, max_words: int = 6) -> str:
    """Lowercase ASCII words joined by hyphens, at most ``max_words`` of them."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words[:max_words]) or "item"


def unique_ids(texts: Iterable[str], max_words: int = 6) -> list[str]:
    """Slugs for each text, later duplicates suffixed ``-2``, ``-3``… in order."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for text in texts:
        base = slugify(text, max_words)
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out
