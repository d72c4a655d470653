"""Scripted models that keep their place across processes.

A script is one conversation: in one process the scripted model hands out
each purpose's replies in order. A run answered later, in another process,
must go on where the first process stopped rather than replay the script
from the top, so the CLI records how many replies of each purpose a thread
has used and starts the next process's model past them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
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
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: model script is not valid YAML/JSON: {exc}") from None


@dataclass
class ScriptCursor:
    """A scripted model started past the replies a thread already used."""

    model: ScriptedModel
    offsets: dict[str, int]
    sizes: dict[str, int]

    @classmethod
    def open(cls, path: Path, used: Mapping[str, int]) -> ScriptCursor:
        """Load ``path`` and skip the first ``used[purpose]`` replies of each purpose."""
        data = _read(path) or {}
        offsets: dict[str, int] = {}
        if isinstance(data, dict):
            trimmed: dict[str, Any] = {}
            for purpose, replies in data.items():
                skip = int(used.get(str(purpose), 0)) if isinstance(replies, list) else 0
                offsets[str(purpose)] = skip
                trimmed[purpose] = replies[skip:] if skip else replies
            data = trimmed
        model = ScriptedModel(data, name=f"scripted:{path.name}", source=str(path))
        sizes = {p: offsets.get(p, 0) + n for p, n in model.remaining().items()}
        return cls(model, offsets, sizes)

    def used(self) -> dict[str, int]:
        """Replies used so far per purpose, counting earlier processes."""
        left = self.model.remaining()
        return {p: size - left.get(p, 0) for p, size in self.sizes.items()}
