"""Scripted models that keep their place across processes.

A script is one conversation: a scripted model hands out each purpose's
replies in order. A run continued in another process (or on another machine)
must go on where the last one stopped rather than replay the script from the
top; the run's journal counts the replies each purpose used, and the model is
started past them.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from agent.errors import ConfigError
from agent.llm.scripted import ScriptedModel


def _read(path: Path) -> Any:
    """The script's data; unreadable or unparsable files are config errors naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read model script ({exc.strerror})") from None
    try:
        return copy.deepcopy(_parsed(text, path.suffix == ".json"))
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: model script is not valid YAML/JSON: {exc}") from None


@functools.lru_cache(maxsize=16)
def _parsed(text: str, is_json: bool) -> Any:
    """Parsing a script is the cost of every resume; the same text parses once."""
    return json.loads(text) if is_json else yaml.safe_load(text)


def scripted_model(path: Path, used: Mapping[str, int]) -> ScriptedModel:
    """The script at ``path`` with the first ``used[purpose]`` replies of each purpose skipped."""
    data = _read(path) or {}
    return ScriptedModel(data, name=f"scripted:{path.name}", source=str(path), used=used)
