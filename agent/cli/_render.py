"""Terminal output of runs: progress lines, questions, results, and asking a human.

Everything here writes to the streams it is given, so the commands stay thin
and tests can drive the prompts with a fake terminal.
"""

from __future__ import annotations

import getpass
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from agent.engine.api import RunResult
from agent.engine.events import RunEvent

_BOLD, _RESET = "\033[1m", "\033[0m"


def interactive() -> bool:
    """Questions are asked in the terminal only when a person is at both ends."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def result_json(result: RunResult) -> dict[str, Any]:
    """The ``--json`` document every run command prints (the published contract)."""
    return {
        "thread_id": result.thread_id,
        "status": result.status,
        "questions": [
            {
                "id": q["id"],
                "text": q["text"],
                "trigger": q.get("trigger"),
                "options": list(q.get("options", [])),
                "deadline": q.get("deadline"),
            }
            for q in result.questions
        ],
        "outputs": result.outputs,
        "violations": result.violations,
        "usage": result.usage,
        "error": result.error,
        "timers": result.timers,
    }


_AUDIT_KIND = {"step_started": "step_start", "step_finished": "step_end", "audit": "audit_result"}


def progress_event(event: RunEvent, out: TextIO) -> None:
    """One line per run event an operator cares about while a run goes on."""
    if event.kind == "tool_called":
        print(f"    · {event.data.get('tool')}", file=out)
        return
    progress({"kind": _AUDIT_KIND.get(event.kind, event.kind), "data": event.data}, out)


def progress(event: Mapping[str, Any], out: TextIO) -> None:
    """One line per audit event an operator cares about while a run goes on."""
    kind, data = event["kind"], event["data"]
    line: str | None = None
    if kind == "plan":
        steps = [str(s.get("id", s)) if isinstance(s, dict) else str(s) for s in _plan(data)]
        line = f"plan: {' → '.join(steps)}" if steps else "plan ready"
    elif kind == "step_start":
        line = f"▸ {data.get('step')} ({data.get('mode', 'power')})"
    elif kind == "step_end":
        tools = data.get("tool_calls") or []
        used = f" [tools: {', '.join(tools)}]" if tools else ""
        line = f"  ✓ {data.get('step')}: {_short(str(data.get('summary', '')))}{used}"
    elif kind == "verdict" and data.get("outcome") != "allow":
        line = f"  ! {data.get('outcome')}: {_short(str(data.get('message', '')))}"
    elif kind == "question":
        line = f"  ? asked: {_short(str(data.get('text', '')))}"
    elif kind == "answer":
        line = f"  ← answer {data.get('question_id')}: {_short(str(data.get('text', '')))}"
    elif kind == "audit_result":
        line = f"audit: {'passed' if data.get('passed') else 'failed'}"
    if line is not None:
        print(line, file=out)


def _plan(data: Mapping[str, Any]) -> list[Any]:
    steps = data.get("steps", data.get("plan", []))
    return list(steps) if isinstance(steps, list) else []


def _short(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe_question(question: Mapping[str, Any]) -> list[str]:
    """How a question reads in the terminal: id, trigger, text, choices, deadline."""
    kind = "approval" if question.get("kind") == "approval" else "question"
    lines = [f"[{question['id']}] {kind}" + _from(question)]
    lines.append(f"  {question['text']}")
    if question.get("options"):
        lines.append(f"  choices: {' / '.join(str(o) for o in question['options'])}")
    if question.get("deadline"):
        lines.append(f"  answer by: {question['deadline']}")
    return lines


def _from(question: Mapping[str, Any]) -> str:
    parts = []
    if question.get("trigger"):
        parts.append(f"trigger {question['trigger']}")
    if question.get("step"):
        parts.append(f"step {question['step']}")
    return f" ({', '.join(parts)})" if parts else ""


def ask(
    questions: Sequence[Mapping[str, Any]], stdin: TextIO, out: TextIO
) -> dict[str, str | dict[str, str]]:
    """Ask each question on the terminal; an empty line leaves it for later, EOF stops.

    Answers record the terminal's user as who gave them.
    """
    answers: dict[str, str | dict[str, str]] = {}
    for question in questions:
        print(file=out)
        for line in describe_question(question):
            print(line, file=out)
        out.write("  answer (empty to skip): ")
        out.flush()
        reply = stdin.readline()
        if not reply:
            print(file=out)
            break
        text = reply.strip()
        if text.isdigit() and 0 < int(text) <= len(question.get("options") or []):
            text = str(question["options"][int(text) - 1])  # a choice picked by its number
        if text:
            answers[str(question["id"])] = {"text": text, "by": _user()}
    return answers


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in this environment
        return "terminal user"


def timer_lines(timers: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per deadline applied or reminder due, naming its rule."""
    lines = []
    for t in timers:
        if t.get("kind") == "reminder":
            missed = f", {t['missed']} earlier missed" if t.get("missed") else ""
            lines.append(f"reminder {t['rule_id']} due {t['due']}{missed}: {t['message']}")
            continue
        change = f" ({t['fact']}: {t['from']} → {t['to']})" if t.get("fact") else ""
        lines.append(
            f"deadline {t['rule_id']} passed {t['due']} for {t.get('question_id')}: "
            f"{t.get('fallback')}{change}"
        )
    return lines


def print_result(result: RunResult, out: TextIO, *, color: bool) -> None:
    """The human summary: outputs of a completed run, questions, violations, usage."""
    if result.status == "completed":
        _print_outputs(result.outputs, out, color=color)
    if result.questions:
        print(f"Waiting for answers ({len(result.questions)}):", file=out)
        for question in result.questions:
            for line in describe_question(question):
                print(f"  {line}", file=out)
    if result.timers:
        print("Deadlines and reminders:", file=out)
        for line in timer_lines(result.timers):
            print(f"  {line}", file=out)
    if result.violations:
        print("Violations:", file=out)
        for violation in result.violations:
            print(f"  - {violation}", file=out)
    total = result.usage.get("total", {})
    kind, _, source = result.model.partition(":")
    if kind in ("scripted", "replay"):
        said = "scripted" if kind == "scripted" else "replayed from a cassette"
        calls = f"{said}: {total.get('calls', 0)} replies from {source}, no model was called"
        tokens = "token counts are estimates" if kind == "scripted" else "tokens as recorded"
        usage = f"{calls}; {tokens}"
    else:
        usage = (
            f"{total.get('calls', 0)} model call(s), {total.get('prompt_tokens', 0)} prompt + "
            f"{total.get('completion_tokens', 0)} completion tokens"
        )
        if result.usage.get("reported") is False:
            usage += " (the server reported no usage for some calls: partly estimated)"
    print(f"status: {result.status} · thread {result.thread_id} · {usage}", file=out)


def _print_outputs(outputs: Mapping[str, Any], out: TextIO, *, color: bool) -> None:
    for key in outputs:  # the engine orders them as the skill's Outputs table does
        value = outputs[key]
        title = key.replace("_", " ").capitalize()
        heading = f"{_BOLD}{title}{_RESET}" if color else title
        if isinstance(value, str) and "\n" in value:
            print(f"{heading}:", file=out)
            print(render_markdown(value, color=color), file=out)
        elif isinstance(value, Mapping):
            print(f"{heading}:", file=out)
            for k, v in value.items():
                print(f"  {k}  {v}", file=out)
        elif isinstance(value, list):
            print(f"{heading}:", file=out)
            for item in value:
                print(f"  - {item}", file=out)
        else:
            print(f"{heading}: {value}", file=out)
        print(file=out)


_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_STRONG = re.compile(r"\*\*(.+?)\*\*")


def render_markdown(text: str, *, color: bool) -> str:
    """Markdown for a terminal: styled headings and emphasis on a TTY, the text as is otherwise."""
    if not color:
        return text.rstrip("\n")
    lines = []
    for raw in text.rstrip("\n").splitlines():
        if heading := _HEADING.match(raw):
            lines.append(f"{_BOLD}{heading.group(2)}{_RESET}")
            continue
        line = raw.replace("- [ ] ", "☐ ").replace("- [x] ", "☑ ")
        lines.append(_STRONG.sub(lambda m: f"{_BOLD}{m.group(1)}{_RESET}", line))
    return "\n".join(lines)
