"""Small transcripts for scorer tests, built step by step with a consistent audit log.

Times are minutes after ``T0``; hashes are dummies (scorers never verify the chain).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.audit import AuditEvent
from agent.engine.transcript import Action, Answer, Question, SkillRef, StepRecord, Transcript

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    """The ISO timestamp ``minutes`` after ``T0``, as the graph writes it."""
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def call(name: str, result: Any = None, **args: Any) -> dict[str, Any]:
    """A tool call record for :meth:`Run.step`."""
    return {"name": name, "args": args, "result": result}


class Run:
    """A transcript under construction; every method returns the run for chaining."""

    def __init__(self, started: float | None = 0, ended: float | None = 60) -> None:
        self.started = None if started is None else at(started)
        self.ended = None if ended is None else at(ended)
        self.steps: list[StepRecord] = []
        self.events: list[AuditEvent] = []
        self.actions: list[Action] = []
        self.questions: list[Question] = []
        self.answers: list[Answer] = []

    def event(self, kind: str, minute: float, **data: Any) -> Run:
        """Append an audit event (seq is its position)."""
        seq = len(self.events)
        self.events.append(
            AuditEvent(
                seq=seq,
                at=at(minute),
                kind=kind,
                data=data,
                prev_hash=f"h{seq - 1}",
                hash=f"h{seq}",
            )
        )
        return self

    def step(
        self,
        step_id: str,
        start: float,
        end: float,
        *,
        fields: dict[str, Any] | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
        actions: list[str] | dict[str, str] | None = None,
    ) -> Run:
        """One step attempt: its record, its actions and its step_start/step_end events.

        ``actions`` lists action types, or maps each type to its description.
        """
        described = actions if isinstance(actions, dict) else dict.fromkeys(actions or [], "")
        proposed = [
            {"id": f"a{len(self.actions) + i}", "type": kind, "step": step_id, "description": text}
            for i, (kind, text) in enumerate(described.items())
        ]
        self.actions.extend(Action.model_validate(a) for a in proposed)
        calls = tool_calls or []
        record = {
            "id": step_id,
            "started_at": at(start),
            "ended_at": at(end),
            "fields": fields or {},
            "tool_calls": calls,
        }
        self.steps.append(StepRecord.model_validate(record))
        self.event("step_start", end, step=step_id, at=at(start))
        return self.event(
            "step_end",
            end,
            step=step_id,
            actions=proposed,
            tool_calls=[c["name"] for c in calls],
        )

    def question(self, qid: str, minute: float, trigger: str | None = None) -> Run:
        """A clarifying question asked at ``minute``."""
        self.questions.append(Question(id=qid, text="Which?", trigger=trigger, asked_at=at(minute)))
        return self.event("question", minute, id=qid, trigger=trigger, text="Which?")

    def answer(self, qid: str, minute: float, text: str = "SEV2") -> Run:
        """The answer to question ``qid`` at ``minute``."""
        self.answers.append(Answer(question_id=qid, text=text, by="oncall", at=at(minute)))
        return self.event("answer", minute, question_id=qid, text=text, at=at(minute))

    def build(self, **top: Any) -> Transcript:
        """The transcript; ``top`` sets top-level keys (outputs, inputs, status...)."""
        doc: dict[str, Any] = {
            "thread_id": "t-1",
            "skill": SkillRef(name="incident-response", content_hash="x"),
            "status": "completed",
            "started_at": self.started,
            "ended_at": self.ended,
            "steps": self.steps,
            "actions": self.actions,
            "questions": self.questions,
            "answers": self.answers,
            "audit_log": self.events,
            **top,
        }
        return Transcript.model_validate(doc)


def transcript(**top: Any) -> Transcript:
    """A run with no steps, only the given top-level keys (e.g. ``outputs``)."""
    return Run().build(**top)
