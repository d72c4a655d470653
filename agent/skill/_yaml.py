"""YAML through libyaml when it is there: the pure-Python parser is most of a parse's time.

Skills, policies and scorer maps are read with line numbers (``compose``) for error
messages and as data (``load``); both go through the same fast safe loader.
"""

from __future__ import annotations

from typing import Any

import yaml

LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """``text`` as plain data (safe: no Python objects)."""
    return yaml.load(text, Loader=LOADER)


def compose(text: str) -> yaml.Node | None:
    """``text``'s node tree, whose marks give each value's line."""
    return yaml.compose(text, Loader=LOADER)
