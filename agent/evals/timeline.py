"""Moments of a run, picked out of a transcript for order and time-delta scorers.

A selector names one moment; it resolves to the *first* such moment, with its
position in the audit log (for ordering) and its time (for deltas):

    started | ended                 the run's start and end
    {step_start: STEP}              a step began
    {step_end: STEP}                a step finished
    {field: NAME}                   the first step whose fields set NAME finished
    {question: TRIGGER}             a question was asked (trigger id, question id or its rule)
    {answer: TRIGGER}               that question was answered
    {action: TYPE}                  a step proposing an action of TYPE finished
    {tool: NAME}                    a step that called tool NAME finished
    {event: KIND}                   the first audit event of KIND
    {input: KEY}                    a timestamp among the run's inputs (time only)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.engine.transcript import Transcript

SIMPLE = ("started", "ended")
KEYED = (
    "step_start",
    "step_end",
    "field",
    "question",
    "answer",
    "action",
    "tool",
    "event",
    "input",
)


class SelectorError(ValueError):
    """A selector is not one of the documented shapes (a suite-file mistake)."""


@dataclass(frozen=True)
class Moment:
    """Where a selector landed: audit-log position (``inf`` if unordered) and time."""

    label: str
    seq: float
    at: datetime | None
    pointer: str


def check_selector(selector: Any) -> str:
    """The selector's label, or :class:`SelectorError` saying what shapes are allowed."""
    if isinstance(selector, str) and selector in SIMPLE:
        return selector
    if isinstance(selector, dict) and len(selector) == 1:
        ((kind, value),) = selector.items()
        if kind in KEYED and isinstance(value, str) and value:
            return f"{kind} {value}"
    raise SelectorError(
        f"bad moment {selector!r}: use {' or '.join(SIMPLE)}, or a one-key mapping "
        f"with one of {', '.join(KEYED)} and a name"
    )


def parse_time(text: Any) -> datetime | None:
    """An ISO-8601 timestamp as an aware datetime (naive means UTC); None if it is not one."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _question_matches(data: dict[str, Any], name: str) -> bool:
    qid = str(data.get("id", ""))
    return name in (data.get("trigger"), qid) or qid.startswith(f"{name}:")


class Timeline:
    """One transcript's moments, resolved on demand."""

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.events = sorted(transcript.audit_log, key=lambda e: e.seq)

    def find(self, selector: Any) -> Moment | None:
        """The first moment ``selector`` names, or None when the run has no such moment."""
        label = check_selector(selector)
        if isinstance(selector, str):
            return self._edge(selector)
        ((kind, name),) = selector.items()
        if kind == "input":
            at = parse_time(self.transcript.inputs.get(name))
            return Moment(label, math.inf, at, f"$.inputs.{name}") if at else None
        if kind == "field":
            return self._field(label, name)
        if kind == "answer":
            return self._answer(label, name)
        return self._first(label, lambda k, d: _event_matches(kind, name, k, d))

    def _edge(self, which: str) -> Moment | None:
        t = self.transcript
        at = parse_time(t.started_at if which == "started" else t.ended_at)
        seq = -math.inf if which == "started" else math.inf
        return Moment(which, seq, at, f"$.{which}_at") if at else None

    def _first(self, label: str, match: Any) -> Moment | None:
        for event in self.events:
            if match(event.kind, event.data):
                at = parse_time(event.data.get("at")) or parse_time(event.at)
                return Moment(label, event.seq, at, f"audit_log[{event.seq}]")
        return None

    def _field(self, label: str, name: str) -> Moment | None:
        """The step attempt that first set ``name``, matched to its step_end event."""
        attempts: dict[str, int] = {}
        for step in self.transcript.steps:
            attempts[step.id] = attempts.get(step.id, 0) + 1
            if step.fields.get(name) in (None, "", [], {}):
                continue
            ends = [
                e for e in self.events if e.kind == "step_end" and e.data.get("step") == step.id
            ]
            nth = attempts[step.id] - 1
            seq = ends[nth].seq if nth < len(ends) else math.inf
            at = parse_time(step.ended_at) or (
                parse_time(ends[nth].at) if nth < len(ends) else None
            )
            return Moment(label, seq, at, f"$.steps[?@.id == '{step.id}'].fields.{name}")
        return None

    def _answer(self, label: str, name: str) -> Moment | None:
        asked = self._first(label, lambda k, d: k == "question" and _question_matches(d, name))
        if asked is None:
            return None
        qids = {
            str(e.data.get("id"))
            for e in self.events
            if e.kind == "question" and _question_matches(e.data, name)
        }
        return self._first(label, lambda k, d: k == "answer" and d.get("question_id") in qids)


def _event_matches(kind: str, name: str, event_kind: str, data: dict[str, Any]) -> bool:
    if kind == "event":
        return event_kind == name
    if kind in ("step_start", "step_end"):
        return event_kind == kind and data.get("step") == name
    if kind == "question":
        return event_kind == "question" and _question_matches(data, name)
    if event_kind != "step_end":
        return False
    if kind == "action":
        return any(isinstance(a, dict) and a.get("type") == name for a in data.get("actions", []))
    return name in data.get("tool_calls", [])  # kind == "tool"
