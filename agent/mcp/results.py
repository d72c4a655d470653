"""What the tools return: typed structured content (the output schemas) and a short text.

A run's view carries what an assistant needs to go on: the status, the pending
questions with their choices, the outputs, violations and usage, and, while it
waits for a human, the exact ``answer_run`` call that continues it, from this
session or any other.
"""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from agent.engine.api import RunResult
from agent.mcp.questions import choices


class QuestionView(BaseModel):
    """A question a paused run waits on; answer it by ``id`` or ``alias`` with ``answer_run``."""

    id: str
    alias: str | None = None
    text: str
    kind: str = "clarify"
    choices: list[str] = Field(default_factory=list, description="[] when any text is accepted")
    step: str | None = None
    deadline: str | None = Field(
        default=None, description="When the policy's fallback applies if unanswered (ISO, UTC)."
    )


class RunView(BaseModel):
    """Where a run stands: finished, waiting for answers, halted by a guardrail, or failed."""

    thread_id: str
    status: str = Field(description="completed | paused | blocked | failed | running")
    skill: str | None = None
    questions: list[QuestionView] = Field(default_factory=list)
    outputs: dict[str, Any] = Field(default_factory=dict)
    violations: list[str] = Field(default_factory=list)
    usage: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    next_call: dict[str, Any] | None = Field(
        default=None,
        description="while paused: the answer_run call that continues the run (fill in answers)",
    )


class RunSummary(BaseModel):
    """One run in a listing."""

    thread_id: str
    skill: str
    status: str
    started_at: str | None = None
    updated_at: str | None = None
    owner: str | None = None


class RunList(BaseModel):
    """Runs the caller may see, newest first."""

    runs: list[RunSummary]


class InputView(BaseModel):
    """A row of a skill's Inputs (or Outputs) table."""

    name: str
    type: str = "string"
    required: bool = True
    description: str = ""


class SkillSummary(BaseModel):
    """A skill on the server's skills path."""

    name: str
    description: str = ""
    uri: str = Field(description="the skill's SKILL.md as an MCP resource")


class SkillList(BaseModel):
    """Every skill this server can run."""

    skills: list[SkillSummary]


class SkillInfo(BaseModel):
    """What a skill does and what it takes: enough to call ``run_skill`` well."""

    name: str
    description: str = ""
    version: str | None = None
    uri: str
    inputs: list[InputView] = Field(default_factory=list)
    outputs: list[InputView] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list, description="the micro-skills, in order")
    dependencies: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="parse or lint diagnostics")


def _placeholder(question: QuestionView) -> str:
    # Never a real choice: an assistant must not take the placeholder for the answer.
    return f"<one of: {', '.join(question.choices)}>" if question.choices else "<your answer>"


def run_view(result: RunResult, skill: str | None = None) -> RunView:
    """The view of an engine result; a paused run names the call that continues it."""
    questions = [
        QuestionView(
            id=str(q["id"]),
            alias=q.get("alias"),
            text=str(q.get("text", "")),
            kind=str(q.get("kind", "clarify")),
            choices=choices(q),
            step=q.get("step"),
            deadline=q.get("deadline"),
        )
        for q in result.questions
    ]
    next_call = None
    if result.status == "paused":
        next_call = {
            "tool": "answer_run",
            "arguments": {
                "thread_id": result.thread_id,
                "answers": {q.alias or q.id: _placeholder(q) for q in questions},
            },
        }
    return RunView(
        thread_id=result.thread_id,
        status=result.status,
        skill=skill,
        questions=questions,
        outputs=result.outputs,
        violations=result.violations,
        usage=result.usage,
        error=result.error,
        next_call=next_call,
    )


def run_text(view: RunView, note: str | None = None) -> str:
    """A short human line about the run (the structured content has the rest)."""
    head = f"run {view.thread_id} ({view.skill or 'skill'}): {view.status}"
    lines = [head if note is None else f"{head}; {note}"]
    if view.status == "paused":
        for q in view.questions:
            options = f" [{' / '.join(q.choices)}]" if q.choices else ""
            by = f" (answer by {q.deadline})" if q.deadline else ""
            lines.append(f"- {q.alias or q.id}: {q.text}{options}{by}")
        lines.append(
            f"Continue with answer_run(thread_id={view.thread_id!r}, answers={{question: answer}})"
            " from this or any session, the CLI (skillweave answer) or the web inbox."
        )
    elif view.status == "completed":
        lines.append(f"outputs: {', '.join(view.outputs) or 'none'}")
    elif view.error:
        lines.append(f"error: {view.error}")
    if view.violations:
        lines.append(f"violations: {len(view.violations)}")
    return "\n".join(lines)


def tool_result(model: BaseModel, text: str) -> CallToolResult:
    """A tool result carrying ``model`` as structured content and ``text`` for the reader."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json"),
    )
