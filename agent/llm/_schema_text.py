"""A JSON schema as a prompt states it: a compact type in TypeScript-like notation.

A model reads ``{summary: string, notes?: string}`` as well as the JSON schema it
stands for, at about half the tokens, and servers in ``json_object`` mode send the
statement on every call. What a type cannot show (bounds, patterns, formats)
goes in a ``//`` comment beside the key, with the key's description; definitions
are written out where they are used, except one that contains itself, which is
named there and written out once at the end.

A long list of string choices that the request already spells out (ids the prompt
lists) is written as ``string`` with a note rather than a second time in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

_SCALARS = frozenset({"string", "number", "integer", "boolean", "null"})
_NOTED = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "format",
)
"""Constraints a type cannot show; stated in the key's comment as ``name value``."""
_GIVEN_AT_LEAST = 3
"""A list of choices this long or longer is not repeated when the request gives every one."""
_INLINE_WIDTH = 80
"""An object without comments that renders within this many characters stays on one line."""


def type_text(schema: dict[str, Any], given: frozenset[str] = frozenset()) -> str:
    """``schema`` (a JSON schema with ``$defs``) as one compact type for a prompt.

    ``given``: string values the request already spells out (see the module's note).
    """
    writer = _Writer(schema.get("$defs", {}), given)
    text = writer.render(schema, 0)
    for name in writer.named:
        text += f"\n\ntype {name} = {writer.render(writer.defs[name], 0, expanding=(name,))}"
    return text


class _Writer:
    """Renders nodes, resolving ``$ref`` against one schema's definitions."""

    def __init__(self, defs: dict[str, Any], given: frozenset[str]) -> None:
        self.defs = defs
        self.given = given
        self.named: list[str] = []
        """Self-containing definitions referred to by name; written out after the type."""

    def render(self, node: Any, depth: int, expanding: tuple[str, ...] = ()) -> str:
        """The type of ``node`` at indentation ``depth``."""
        if not isinstance(node, dict) or not node:
            return "any"
        if "$ref" in node:
            name = str(node["$ref"]).rsplit("/", 1)[-1]
            if name in expanding or name not in self.defs:
                if name in self.defs and name not in self.named:
                    self.named.append(name)
                return name
            return self.render(self.defs[name], depth, (*expanding, name))
        if "enum" in node:
            values = node["enum"]
            if len(values) >= _GIVEN_AT_LEAST and all(v in self.given for v in values):
                return f"string /* one of the {len(values)} ids the request lists */"
            return " | ".join(json.dumps(v, ensure_ascii=False) for v in values)
        if "const" in node:
            return json.dumps(node["const"], ensure_ascii=False)
        for key in ("anyOf", "oneOf", "allOf"):
            if key in node:
                glue = " & " if key == "allOf" else " | "
                return glue.join(self._operand(n, depth, expanding) for n in node[key])
        kind = node.get("type")
        if isinstance(kind, list):
            return " | ".join(self.render({**node, "type": k}, depth, expanding) for k in kind)
        if kind == "array":
            return f"{self._operand(node.get('items'), depth, expanding)}[]"
        if kind == "object" or "properties" in node:
            return self._object(node, depth, expanding)
        return kind if kind in _SCALARS else "any"

    def _operand(self, node: Any, depth: int, expanding: tuple[str, ...]) -> str:
        text = self.render(node, depth, expanding)
        union = not text.startswith("{") and (" | " in text or " & " in text)
        return f"({text})" if union else text

    def _object(self, node: dict[str, Any], depth: int, expanding: tuple[str, ...]) -> str:
        required = set(node.get("required", []))
        lines: list[tuple[str, str]] = []
        for key, sub in node.get("properties", {}).items():
            mark = "" if key in required else "?"
            value = self.render(sub, depth + 1, expanding)
            lines.append((f"{_key(key)}{mark}: {value}", _comment(sub)))
        extra = node.get("additionalProperties")
        if extra is True or isinstance(extra, dict):
            other = self.render(extra, depth + 1, expanding) if isinstance(extra, dict) else "any"
            if not lines and other == "any":
                return "object"
            lines.append((f"[key: string]: {other}", ""))
        if not lines:
            return "object"
        flat = "{" + ", ".join(text for text, _ in lines) + "}"
        if len(flat) <= _INLINE_WIDTH and "\n" not in flat and not any(c for _, c in lines):
            return flat
        pad = "  " * (depth + 1)
        body = "\n".join(f"{pad}{text},{f' // {note}' if note else ''}" for text, note in lines)
        return "{\n" + body + "\n" + "  " * depth + "}"


def choice_values(node: Any) -> Iterator[str]:
    """Every string value of every ``enum`` in ``node``, nested ones too."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from choice_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from choice_values(item)


def _key(name: str) -> str:
    return name if name.isidentifier() else json.dumps(name, ensure_ascii=False)


def _comment(node: Any) -> str:
    """The description and the constraints no type shows, on one line."""
    if not isinstance(node, dict):
        return ""
    parts = [" ".join(str(node["description"]).split())] if node.get("description") else []
    parts += [f"{k} {json.dumps(node[k], ensure_ascii=False)}" for k in _NOTED if k in node]
    return "; ".join(parts)
