"""Terminal output of runs: progress lines, questions, results, and asking a human.

Everything here writes to the streams it is given, so the commands stay thin
and tests can drive the prompts with a fake terminal.
"""

from __future__ import annotations

import getpass
import re
import shutil
import sys
import textwrap
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, TextIO

from agent.cli._common import printable
from agent.engine.api import RunResult
from agent.engine.events import RunEvent
from agent.errors import ScriptedModelError
from agent.graph.questions import approval_for

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
                "alias": q.get("alias"),
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
_SUMMARY_LIMIT = 160
"""A step summary is the model's prose: its first characters say enough in a progress line."""


def width_of(stream: TextIO) -> int | None:
    """Columns to wrap at on a terminal; None (one line per item, never cut) otherwise."""
    try:
        if not stream.isatty():
            return None
    except ValueError:  # a closed stream
        return None
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def wrap(text: str, indent: str, width: int | None) -> list[str]:
    """``text`` on one line (no terminal) or wrapped to ``width`` with a hanging indent."""
    flat = printable(text)
    if width is None:
        return [f"{indent}{flat}"]
    return textwrap.wrap(
        flat,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]


def label(question: Mapping[str, Any]) -> str:
    """The id people type: the run's short alias (``q1``), the full id for older runs."""
    return str(question.get("alias") or question["id"])


def describe_question(question: Mapping[str, Any], width: int | None = None) -> list[str]:
    """How a question reads in the terminal: short id, kind, where from, full text, choices."""
    kind = "approval" if question.get("kind") == "approval" else "question"
    lines = [f"[{label(question)}] {kind}" + _from(question)]
    lines += wrap(str(question["text"]), "  ", width)
    if question.get("options"):
        lines.append(f"  choices: {' / '.join(printable(str(o)) for o in question['options'])}")
    if question.get("deadline"):
        lines.append(f"  answer by: {question['deadline']}")
    return lines


def _from(question: Mapping[str, Any]) -> str:
    parts = []
    if question.get("step"):
        parts.append(f"step {question['step']}")
    if question.get("trigger"):
        parts.append(f"trigger {question['trigger']}")
    return f" ({', '.join(parts)})" if parts else ""


class Progress:
    """Progress lines for a run's events; remembers the questions it showed in full.

    A question is shown once, when it is asked, in full (wrapped on a terminal);
    :func:`ask` and :func:`print_result` then name it by its short id only.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.width = width_of(out)
        self.shown: set[str] = set()
        self._labels: dict[str, str] = {}

    def event(self, event: RunEvent) -> None:
        """Print what an operator cares about in ``event`` (nothing for the rest)."""
        data = event.data
        if event.kind == "question":
            self.question(data)
            return
        for line in self._lines(_AUDIT_KIND.get(event.kind, event.kind), data):
            print(line, file=self.out)

    def question(self, question: Mapping[str, Any]) -> None:
        """Show a question in full, once."""
        self._labels[str(question["id"])] = label(question)
        if question["id"] in self.shown:
            return
        self.shown.add(str(question["id"]))
        lines = describe_question(question, None if self.width is None else self.width - 4)
        print(f"  ? {lines[0]}", file=self.out)
        for line in lines[1:]:
            print(f"    {line}", file=self.out)

    def _lines(self, kind: str, data: Mapping[str, Any]) -> list[str]:
        if kind == "tool_called":
            return [f"    · {data.get('tool')}"]
        if kind == "plan":
            steps = [str(s.get("id", s)) if isinstance(s, dict) else str(s) for s in _plan(data)]
            return [f"plan: {' → '.join(steps)}" if steps else "plan ready"]
        if kind == "step_start":
            return [f"▸ {data.get('step')} ({data.get('mode', 'power')})"]
        if kind == "step_end":
            tools = data.get("tool_calls") or []
            used = f" [tools: {', '.join(tools)}]" if tools else ""
            summary = _short(str(data.get("summary", "")), _SUMMARY_LIMIT)
            return wrap(f"✓ {data.get('step')}: {summary}{used}", "  ", self.width)
        if kind == "verdict" and data.get("outcome") != "allow":
            return wrap(f"! {data.get('outcome')}: {data.get('message', '')}", "  ", self.width)
        if kind == "answer":
            qid = str(data.get("question_id"))
            said = f"← {self._labels.get(qid, qid)}: {data.get('text', '')}"
            return wrap(said, "  ", self.width)
        if kind == "audit_result":
            return [f"audit: {'passed' if data.get('passed') else 'failed'}"]
        return []


def _plan(data: Mapping[str, Any]) -> list[Any]:
    steps = data.get("steps", data.get("plan", []))
    return list(steps) if isinstance(steps, list) else []


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def ask(
    questions: Sequence[Mapping[str, Any]],
    stdin: TextIO,
    out: TextIO,
    shown: set[str] | None = None,
) -> dict[str, str | dict[str, str]]:
    """Ask each question on the terminal; an empty line leaves it for later, EOF stops.

    A question in ``shown`` was printed in full moments ago: only its prompt is
    repeated. Answers record the terminal's user as who gave them.
    """
    answers: dict[str, str | dict[str, str]] = {}
    width = width_of(out)
    for question in questions:
        if question["id"] not in (shown or set()):
            print(file=out)
            for line in describe_question(question, width):
                print(line, file=out)
        options = question.get("options") or []
        offered = f" [{'/'.join(str(o) for o in options)}]" if options else ""
        out.write(f"  answer {label(question)}{offered} (empty to skip): ")
        out.flush()
        reply = stdin.readline()
        if not reply:
            print(file=out)
            break
        text = reply.strip()
        if text.isdigit() and 0 < int(text) <= len(options):
            text = str(options[int(text) - 1])  # a choice picked by its number
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


def script_gap(result: RunResult) -> str | None:
    """Why a run stopped at a call its model script does not cover (a user's fix), or None."""
    failure = result.failure or {}
    if result.status == "failed" and failure.get("type") == ScriptedModelError.__name__:
        return str(failure.get("message"))
    return None


def describe_actions(
    actions: Sequence[Mapping[str, Any]],
    approvals: Mapping[str, Any],
    *,
    webhook: bool,
    rejected: Sequence[Mapping[str, Any]] = (),
) -> list[str]:
    """One line per action a step proposed, saying what became of it.

    An action is a proposal: only a recorded approval lets it leave the run, and then
    only to the action webhook. Without one, nothing was changed, whatever the outputs say.
    ``rejected`` are the actions a rejection removed from the run's actions: still listed.
    """
    lines = []
    for action in actions:
        found = approval_for(str(action.get("id", "")), approvals)
        answer = found[1] if found is not None else None
        if answer is None:
            state = "recorded by its tool, no approval asked"
        elif answer.get("approved") is True:
            done = "handed to the action webhook" if webhook else "nothing was changed"
            state = f"proposed, approved by {answer.get('by') or 'someone'}; {done}"
        else:
            state = f"proposed, rejected by {answer.get('by') or 'someone'}; nothing was changed"
        lines.append(_action_line(action, state))
    for action in rejected:
        why = f" ({printable(str(action['reason']))})" if action.get("reason") else ""
        state = f"proposed, rejected by {action.get('rejected_by')}{why}; nothing was changed"
        lines.append(_action_line(action, state))
    return lines


def _action_line(action: Mapping[str, Any], state: str) -> str:
    what = printable(str(action.get("description") or action.get("type")))
    return f"  - {action.get('type')}: {what} — {state}"


def print_result(
    result: RunResult,
    out: TextIO,
    *,
    color: bool,
    shown: AbstractSet[str] = frozenset(),
    actions: Sequence[str] = (),
) -> None:
    """The human summary: outputs of a completed run, actions, questions, violations, usage.

    Questions in ``shown`` were just printed in full on the same terminal: they are
    named by their short ids only. ``actions`` are :func:`describe_actions` lines.
    A scripted or replayed run's outputs are said to come from its file.
    """
    kind, _, source = result.model.partition(":")
    if result.status == "completed":
        if kind in ("scripted", "replay"):
            print(
                f"(outputs written by the {'model script' if kind == 'scripted' else 'cassette'} "
                f"{source}, written in advance: they are not a model's findings)",
                file=out,
            )
        _print_outputs(result.outputs, out, color=color)
    if actions:
        print("Actions:", file=out)
        for line in actions:
            print(line, file=out)
    waiting = [q for q in result.questions if q["id"] not in shown]
    if result.questions:
        print(f"Waiting for answers ({len(result.questions)}):", file=out)
        if len(waiting) < len(result.questions):
            above = [label(q) for q in result.questions if q["id"] in shown]
            print(f"  {', '.join(above)} (shown above)", file=out)
        for question in waiting:
            for line in describe_question(question, width_of(out)):
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
    state = "stopped: the model script has no reply for a call" if script_gap(result) else None
    print(f"status: {state or result.status} · thread {result.thread_id} · {usage}", file=out)


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
