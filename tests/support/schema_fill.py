"""The smallest value that fits a JSON schema: a stand-in model for any skill, in any test.

Used by the corpus test (every skill by other authors, end to end, no script) and
by the loopback server of the concurrency benchmark. Lists of records (questions,
actions, decisions) stay empty; every other list and mapping gets one entry, so
declared outputs are present.
"""

from __future__ import annotations

from typing import Any


def fill(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest value that validates against ``schema`` (the subset strict mode uses)."""
    if "$ref" in schema:
        return fill(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fill(options[0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        if not props and schema.get("additionalProperties"):
            return {"item": "x"}  # a free-form mapping: one entry, so it is not empty
        return {k: fill(v, defs) for k, v in props.items()}
    if kind == "array":
        items = schema.get("items", {})
        # lists of records (questions, actions) stay empty; lists of values get one
        records = "$ref" in items or items.get("type") == "object"
        count = max(schema.get("minItems", 0), 0 if records else 1)
        return [fill(items, defs) for _ in range(count)]
    if kind == "string":
        return "x"
    if kind == "integer":
        return 1
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return True
    return None
