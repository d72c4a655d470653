"""The run's append-only audit log: structured events chained by hash.

Each event carries the hash of the one before it, and its own hash covers
``(seq, at, kind, data, prev_hash)`` as canonical JSON, so editing, removing or
reordering any event breaks the chain from that point on and
:func:`verify_chain` says where. (Dropping events from the END leaves a valid
shorter chain; the transcript's status and step list make that visible.)

Events are plain dicts so they survive checkpoints unchanged. Values under
secret-looking keys (``api_key``, ``password``, ``*_token``...) and strings
that look like bearer tokens, API keys or ``password=`` pairs are redacted
before hashing: the log must never hold a secret. Transcript export reuses
:func:`redact` for everything else it publishes.

Nodes add events with :func:`new_event`; :func:`chain_events` is the state
channel's reducer that numbers and chains them. Kinds the graph writes:
``skill_loaded`` (name, version, content_hash),
``plan``, ``step_start``, ``step_end``, ``verdict``, ``question``, ``answer``,
``decision``, ``outputs``, ``audit_result``, ``status``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event."""

REDACTED = "[redacted]"

_SECRET_KEY = re.compile(
    r"(^|[_-])(api[_-]?key|secret|password|passwd|token|authorization|credentials?)$",
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(
    r"\b(sk-[A-Za-z0-9_-]{16,}|Bearer\s+[A-Za-z0-9._~+/=-]{16,}|(?:password|passwd|pwd)=[^\s&\"',;]+)",
    re.IGNORECASE,
)


class AuditEvent(BaseModel):
    """One audit-log event (the shape of the plain dicts in the log)."""

    model_config = ConfigDict(extra="forbid")

    seq: int
    at: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def redact(value: Any) -> Any:
    """``value`` with secrets replaced, recursively (keys by name, strings by shape)."""
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _SECRET_VALUE.sub(REDACTED, value)
    return value


def event_hash(seq: int, at: str, kind: str, data: Any, prev_hash: str) -> str:
    """sha256 hex of the canonical JSON of an event's content and its predecessor's hash."""
    body = json.dumps(
        [seq, at, kind, data, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append_event(
    events: list[dict[str, Any]], kind: str, data: dict[str, Any], *, at: str | None = None
) -> dict[str, Any]:
    """Append a new event to ``events`` (in place) and return it."""
    seq = len(events)
    prev = events[-1]["hash"] if events else GENESIS_HASH
    at = at or _utc_now()
    # A JSON round trip makes the stored data exactly what the hash was computed over.
    clean = json.loads(json.dumps(redact(data), default=str))
    event = {
        "seq": seq,
        "at": at,
        "kind": kind,
        "data": clean,
        "prev_hash": prev,
        "hash": event_hash(seq, at, kind, clean, prev),
    }
    events.append(event)
    return event


def new_event(kind: str, data: dict[str, Any], *, at: str | None = None) -> dict[str, Any]:
    """An event a node adds; the audit log's reducer numbers it and chains it."""
    return {"kind": kind, "data": data, "at": at or _utc_now()}


def chain_events(
    log: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The reducer of the audit-log channel: ``log`` plus ``new`` events, chained.

    The node fixed each event's time, so the chain does not depend on when the
    write is applied (a resume applies saved writes of a killed process later).
    """
    out = list(log or [])
    for event in new or []:
        append_event(out, event["kind"], event["data"], at=event.get("at"))
    return out


def verify_chain(events: Sequence[dict[str, Any]]) -> list[str]:
    """Every break in the chain (edited, removed, reordered events); empty when intact."""
    problems: list[str] = []
    prev = GENESIS_HASH
    for index, event in enumerate(events):
        try:
            seq, at, kind = event["seq"], event["at"], event["kind"]
            data, prev_hash, stored = event["data"], event["prev_hash"], event["hash"]
        except (KeyError, TypeError):
            problems.append(f"event #{index}: not an audit event (missing fields)")
            prev = str(event.get("hash", "")) if isinstance(event, dict) else ""
            continue
        if seq != index:
            problems.append(f"event #{index}: seq is {seq} (events removed or reordered)")
        if prev_hash != prev:
            problems.append(f"event #{index} ({kind}): prev_hash does not match event #{index - 1}")
        if event_hash(seq, at, kind, data, prev_hash) != stored:
            problems.append(f"event #{index} ({kind}): hash does not match its content (edited)")
        prev = stored
    return problems
