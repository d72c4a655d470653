"""Build the labelled incident-response transcripts: one good run and deliberately flawed copies.

Each transcript starts as a REAL offline run of an eval scenario (the scenario's
scripted model driving the compiled skill graph, answered from its
``scenario.yaml``, exactly as the eval runner does), then:

1. The run executes under a deterministic clock (``BASE_TIME``, one ``TICK`` per
   clock reading), so reruns write identical files.
2. It is made "live": every timestamp (run, steps, questions, answers, audit
   events, ``at`` inside event data) moves by one offset so the run starts one
   minute after ``inputs.detected_at``; deltas are preserved.
3. Each flawed variant changes only what its flaw needs, everywhere a real run
   would show it: step fields and the model's reply message, outputs, tool calls
   with their messages and results, proposed actions, the earlier results later
   steps' prompts quote, ``step_end`` / ``outputs`` audit events, timings; a
   dropped tool call takes the evidence links only it returned along. (Token usage
   stays as the base run recorded it.) The audit hash chain is rebuilt with
   :func:`agent.audit.append_event`, so ``verify_chain`` passes.

The expected verdicts live in ``labels.yaml`` and are written by hand, never
derived from the scorers. Run from the repo root::

    .venv/bin/python evals/incident-response/labelled/generate.py
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from agent.audit import append_event, verify_chain
from agent.engine import api
from agent.engine.answers import match_answers
from agent.engine.transcript import Transcript
from agent.evals.runner import Scenario, load_suite, model_factory
from agent.graph.prompts import data
from agent.plugins import ToolContext, load_tools
from agent.skill.library import Library, SkillSet, default_skill_paths

HERE = Path(__file__).resolve().parent
SUITE = HERE.parent

BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
"""Where the deterministic clock starts (every timestamp is then shifted to go live)."""
TICK = timedelta(seconds=10)
"""How far the deterministic clock moves per reading."""
LIVE_AFTER = timedelta(minutes=1)
"""The run starts this long after ``inputs.detected_at``."""
LATE_SEVERITY = timedelta(minutes=12)
"""When ``late-severity.json`` assigns the severity, counted from detection."""

BASE_SCENARIO = "deploy-correlated-spike"
"""The scenario every flawed variant starts from (its run is ``good.json``)."""
OTHER_GOOD = {"good-asked-severity.json": "ambiguous-sev2-sev3"}
"""More good runs, of other scenarios, with nothing changed but the clock."""

TIME_KEYS = frozenset({"at", "started_at", "ended_at", "asked_at"})
NOT_TIMES = frozenset({"inputs", "outputs", "messages", "tool_calls", "plan"})
"""Parts of a transcript whose ``*at`` keys are not the run's clock (never retimed)."""
PRIOR_RESULTS = re.compile(
    r'<data source="prior-step-results" trust="untrusted">\n.*?\n</data>', re.S
)
"""The block of earlier steps' results in a later step's prompt."""
IC_WORDING = re.compile(r"\b(IC|incident commander)\b", re.IGNORECASE)
"""How the skill's scorer recognises an Incident Commander mention."""

Doc = dict[str, Any]


# --- running the scenario ----------------------------------------------------------------


@contextmanager
def deterministic_clock(start: datetime, tick: timedelta) -> Iterator[None]:
    """Every timestamp the run records comes from a clock that reads ``start + n * tick``.

    The graph takes its times from ``agent.graph._context.now`` and the audit log
    from ``agent.audit``; both read ``datetime.now``.
    """
    reads = 0

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            nonlocal reads
            value = start + reads * tick
            reads += 1
            return value.astimezone(tz) if tz else value.replace(tzinfo=None)

    with (
        mock.patch("agent.graph._context.datetime", Clock),
        mock.patch("agent.audit.datetime", Clock),
    ):
        yield


async def _run(skillset: SkillSet, scenario: Scenario, thread_id: str) -> Transcript:
    """The scenario run to its end, answered from ``scenario.yaml`` (as the eval runner does)."""
    model = model_factory(None)(scenario)
    with tempfile.TemporaryDirectory(prefix="skillweave-labelled-") as tmp:
        data_dir = Path(tmp)
        ctx = ToolContext(data_dir=data_dir, thread_id=thread_id, evidence_dir=scenario.folder)
        common: dict[str, Any] = {
            "model": model,
            "data_dir": data_dir,
            "tools": load_tools(skillset.skill, ctx),
        }
        result = await api.start(skillset, scenario.spec.inputs, thread_id, **common)
        answered: set[str] = set()
        while result.status == "paused":
            answers = match_answers(result.questions, scenario.spec.answers, answered)
            if not answers:
                raise SystemExit(f"{scenario.name}: no scripted answer for {result.questions}")
            answered |= set(answers)
            result = await api.resume(thread_id, answers, skill=skillset, **common)
        return await api.export_transcript(thread_id, data_dir=data_dir)


def real_run(name: str) -> Doc:
    """Scenario ``name`` run offline under the deterministic clock, as a JSON document."""
    suite = load_suite(SUITE)
    skillset = suite.resolve_skill(Library(default_skill_paths(())))
    scenario = next(s for s in suite.scenarios if s.name == name)
    with deterministic_clock(BASE_TIME, TICK):
        transcript = asyncio.run(_run(skillset, scenario, f"labelled-{name}"))
    if transcript.status != "completed":
        raise SystemExit(f"{name}: the run ended {transcript.status}, not completed")
    return transcript.model_dump(mode="json")


# --- time ----------------------------------------------------------------------------------


def _parse(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _fmt(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _retime(node: Any, move: Callable[[datetime], datetime]) -> None:
    if isinstance(node, list):
        for item in node:
            _retime(item, move)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in NOT_TIMES:
                continue
            if key in TIME_KEYS and isinstance(value, str):
                node[key] = _fmt(move(_parse(value)))
            else:
                _retime(value, move)


def retime(doc: Doc, move: Callable[[datetime], datetime]) -> None:
    """Apply ``move`` to every clock timestamp of the run (``inputs`` and outputs untouched)."""
    _retime(doc, move)


def go_live(doc: Doc) -> None:
    """Shift the whole run so it starts :data:`LIVE_AFTER` after ``inputs.detected_at``."""
    offset = _parse(doc["inputs"]["detected_at"]) + LIVE_AFTER - _parse(doc["started_at"])
    retime(doc, lambda t: t + offset)


def delay_from(doc: Doc, moment: str, delay: timedelta) -> None:
    """Everything at or after ``moment`` happens ``delay`` later (a slow step, say)."""
    start = _parse(moment)
    retime(doc, lambda t: t + delay if t >= start else t)


def _ms(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((_parse(end) - _parse(start)).total_seconds() * 1000, 3)


def finish(doc: Doc) -> Doc:
    """Recompute the timings and the audit hash chain after edits; validate the result."""
    doc["ended_at"] = doc["audit_log"][-1]["at"]
    doc["timings"] = {
        "total_ms": _ms(doc["started_at"], doc["ended_at"]),
        "steps_ms": [
            {"id": s["id"], "ms": _ms(s["started_at"], s["ended_at"])} for s in doc["steps"]
        ],
    }
    chain: list[dict[str, Any]] = []
    for event in doc["audit_log"]:
        append_event(chain, event["kind"], event["data"], at=event["at"])
    problems = verify_chain(chain)
    assert not problems, problems
    doc["audit_log"] = chain
    return Transcript.model_validate(doc).model_dump(mode="json")


# --- consistent edits ----------------------------------------------------------------------


def _step(doc: Doc, step_id: str) -> dict[str, Any]:
    [step] = [s for s in doc["steps"] if s["id"] == step_id]
    return step


def _step_end(doc: Doc, step_id: str) -> dict[str, Any]:
    [event] = [
        e for e in doc["audit_log"] if e["kind"] == "step_end" and e["data"]["step"] == step_id
    ]
    data: dict[str, Any] = event["data"]
    return data


def _reply(step: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The step's final model reply: its message and the parsed JSON it carries."""
    message = next(
        m
        for m in reversed(step["messages"])
        if m.get("role") == "assistant" and isinstance(m.get("content"), str)
    )
    content: dict[str, Any] = json.loads(message["content"])
    assert json.dumps(content, ensure_ascii=False) == message["content"], "reply not re-encodable"
    return message, content


def _write_reply(message: dict[str, Any], content: dict[str, Any]) -> None:
    message["content"] = json.dumps(content, ensure_ascii=False)


def step_setting(doc: Doc, name: str) -> str:
    """The id of the one step whose fields set ``name``."""
    [step_id] = [s["id"] for s in doc["steps"] if name in s["fields"]]
    return step_id


def _set(mapping: dict[str, Any], name: str, value: Any) -> None:
    if value is None:
        del mapping[name]
    else:
        mapping[name] = value


def edit_prior(doc: Doc, step_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to ``step_id``'s result where later steps' prompts show it."""

    def edited(match: re.Match[str]) -> str:
        text = match[0]
        body = text.split("\n", 1)[1].rsplit("\n", 1)[0]
        prior = json.loads(body)
        assert data("prior-step-results", prior) == text, "prior results not re-renderable"
        if step_id in prior:
            change(prior[step_id])
        return data("prior-step-results", prior)

    for step in doc["steps"]:
        for message in step["messages"]:
            if message.get("role") == "user" and isinstance(message.get("content"), str):
                message["content"] = PRIOR_RESULTS.sub(edited, message["content"])


def set_field(doc: Doc, name: str, value: Any = None) -> None:
    """Change (``None``: remove) a field where the step set it, in its reply and the outputs."""
    step = _step(doc, step_setting(doc, name))
    message, content = _reply(step)
    for fields in (step["fields"], content["fields"]):
        _set(fields, name, value)
    _write_reply(message, content)
    edit_prior(doc, step["id"], lambda result: _set(result["fields"], name, value))
    [outputs_event] = [e for e in doc["audit_log"] if e["kind"] == "outputs"]
    for outputs in (doc["outputs"], outputs_event["data"]["outputs"]):
        if name in outputs:
            _set(outputs, name, value)


def set_summary(doc: Doc, step_id: str, summary: str) -> None:
    """A step's summary, as the step record, its reply and its ``step_end`` event show it."""
    step = _step(doc, step_id)
    message, content = _reply(step)
    step["summary"] = content["summary"] = summary
    _write_reply(message, content)
    _step_end(doc, step_id)["summary"] = summary
    edit_prior(doc, step_id, lambda result: result.update(summary=summary))


def unclaim(doc: Doc, step_id: str, claim: str, word: str) -> None:
    """Remove ``claim`` from the step's summary: it no longer did that (``word`` must go)."""
    summary = re.sub(claim, "", _step(doc, step_id)["summary"])
    assert word not in summary, f"{step_id}: summary still claims {word!r}: {summary!r}"
    set_summary(doc, step_id, summary)


def _answer(call: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(call["result"]) if isinstance(call["result"], str) else call["result"]
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _renumber_actions(doc: Doc, step_id: str) -> None:
    """Action ids are ``step:index:type``; approvals must still point at theirs."""
    index = 0
    for action in doc["actions"]:
        if action.get("step") == step_id:
            action["id"] = f"{step_id}:{index}:{action['type']}"
            index += 1
    ids = {a["id"] for a in doc["actions"]}
    for verdict in doc["verdicts"]:
        approval = verdict.get("approval") or {}
        assert approval.get("action_id") in (None, *ids), approval


def _same_action(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(
        str(a.get(k) or "") == str(b.get(k) or "") for k in ("type", "description", "target")
    )


def _renumber_calls(step: dict[str, Any]) -> None:
    """Call ids end in the call's index within its reply (``call_<purpose>_<reply>_<i>``)."""
    renamed: dict[str, str] = {}
    counts: dict[str, int] = {}
    for call in step["tool_calls"]:
        prefix, _, index = str(call["id"]).rpartition("_")
        if prefix and index.isdigit():
            renamed[call["id"]] = f"{prefix}_{counts.get(prefix, 0)}"
            counts[prefix] = counts.get(prefix, 0) + 1
    for call in step["tool_calls"]:
        call["id"] = renamed.get(call["id"], call["id"])
    for m in step["messages"]:
        if m.get("tool_call_id") in renamed:
            m["tool_call_id"] = renamed[m["tool_call_id"]]
        for made in m.get("tool_calls") or []:
            made["id"] = renamed.get(made["id"], made["id"])


def drop_calls(doc: Doc, step_id: str, tool: str) -> None:
    """The step never called ``tool``: no call, no tool messages, no action or ref it recorded."""
    step = _step(doc, step_id)
    dropped = [c for c in step["tool_calls"] if c["name"] == tool]
    assert dropped, f"{step_id} made no {tool} call"
    ids = {c["id"] for c in dropped}
    step["tool_calls"] = [c for c in step["tool_calls"] if c["name"] != tool]
    messages = []
    for m in step["messages"]:
        if m.get("role") == "tool" and m.get("tool_call_id") in ids:
            continue
        if m.get("tool_calls"):
            m["tool_calls"] = [c for c in m["tool_calls"] if c["id"] not in ids]
            if not m["tool_calls"] and not m.get("content"):
                continue
        messages.append(m)
    step["messages"] = messages
    _renumber_calls(step)
    end = _step_end(doc, step_id)
    end["tool_calls"] = [c["name"] for c in step["tool_calls"]]
    gone = [a for c in dropped if isinstance(a := _answer(c).get("action"), dict)]

    def kept(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [a for a in actions if not any(_same_action(a, g) for g in gone)]

    end["actions"] = kept(end["actions"])
    doc["actions"] = [a for a in doc["actions"] if a.get("step") != step_id or kept([a])]
    _renumber_actions(doc, step_id)
    # What the step's result kept (later prompts show it): the reply's own evidence
    # plus the refs each remaining tool call cited, as the step node collects them.
    _, reply = _reply(step)
    evidence = [str(r) for r in reply.get("evidence", [])]
    evidence += [str(r) for c in step["tool_calls"] for r in _answer(c).get("refs", [])]

    def update(result: dict[str, Any]) -> None:
        result["actions"] = kept(result["actions"])
        result["evidence"] = list(dict.fromkeys(evidence))

    edit_prior(doc, step_id, update)
    prune_evidence(doc)


def edit_status_updates(doc: Doc, rewrite: Callable[[str], str]) -> None:
    """Every status update sent says ``rewrite(message)`` instead (call, result, action, event)."""
    for step in doc["steps"]:
        for call in step["tool_calls"]:
            if call["name"] != "post_status_update":
                continue
            old = call["args"]["message"]
            new = rewrite(old)
            call["args"]["message"] = new
            answer = _answer(call)
            answer["action"]["description"] = new
            call["result"] = json.dumps(answer, ensure_ascii=False)
            for m in step["messages"]:
                if m.get("role") == "tool" and m.get("tool_call_id") == call["id"]:
                    m["content"] = call["result"]
                for made in m.get("tool_calls") or []:
                    if made["id"] == call["id"]:
                        made["function"]["arguments"] = json.dumps(call["args"], ensure_ascii=False)

            def reword(actions: list[dict[str, Any]], old: str = old, new: str = new) -> None:
                for action in actions:
                    if action["type"] == "status-update" and action["description"] == old:
                        action["description"] = new

            reword(doc["actions"])
            reword(_step_end(doc, step["id"])["actions"])
            edit_prior(doc, step["id"], lambda result, r=reword: r(result["actions"]))


# --- postmortem text -----------------------------------------------------------------------


def _sections(text: str) -> list[tuple[str, str]]:
    """``(heading line, body)`` pairs of the ``###`` sections; the part before has heading ''."""
    parts = re.split(r"(?m)^(###[^\n]*\n)", text)
    pairs = [("", parts[0])]
    pairs += [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]
    return pairs


def edit_section(text: str, title: str, body: str | None) -> str:
    """``text`` with the body of section ``### title`` replaced (``None``: section removed)."""
    out, found = [], False
    for heading, content in _sections(text):
        if heading.strip().lower() == f"### {title}".lower():
            found = True
            if body is None:
                continue
            trailing = "\n" if content.endswith("\n\n") else ""
            content = body.rstrip("\n") + "\n" + trailing
        out.append(heading + content)
    assert found, f"no ### {title} section"
    return "".join(out).rstrip("\n") + "\n"


def section(text: str, title: str) -> str:
    """The body of section ``### title`` ('' when absent)."""
    return next((c for h, c in _sections(text) if h.strip().lower() == f"### {title}".lower()), "")


def prune_evidence(doc: Doc) -> None:
    """Drop Evidence links to refs no remaining tool call returned (a run cites what it saw)."""
    returned = {r for s in doc["steps"] for c in s["tool_calls"] for r in _refs(_answer(c))}
    postmortem = doc["outputs"].get("postmortem", "")
    body = section(postmortem, "Evidence")
    if not body:
        return
    kept = [
        line
        for line in body.splitlines()
        if not (ref := re.fullmatch(r"\s*-\s+`([^`]+)`\s*", line)) or ref[1] in returned
    ]
    if kept != body.splitlines():
        set_field(doc, "postmortem", edit_section(postmortem, "Evidence", "\n".join(kept)))


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "ref" and isinstance(item, str):
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str) and re.fullmatch(r"[\w.-]+:\d+", item):
                yield item
            else:
                yield from _refs(item)


# --- the flaws ------------------------------------------------------------------------------

BLAME = (
    "Sam carelessly pushed checkout v2.14.0 straight to all users and skipped the canary. "
    "It was his mistake."
)


def missing_ic(doc: Doc) -> None:
    """No Incident Commander recorded, and the status update names none."""
    commander = str(
        _step(doc, step_setting(doc, "incident_commander"))["fields"]["incident_commander"]
    )
    set_field(doc, "incident_commander")

    def unnamed(message: str) -> str:
        sentences = re.split(r"(?<=[.;])\s+", message)
        kept = [s for s in sentences if not IC_WORDING.search(s) and commander not in s]
        return " ".join(kept)

    edit_status_updates(doc, unnamed)


def blameful_postmortem(doc: Doc) -> None:
    """The postmortem's root cause names and blames a person."""
    postmortem = doc["outputs"]["postmortem"]
    set_field(doc, "postmortem", edit_section(postmortem, "Root Cause", BLAME))


def no_action_item(doc: Doc) -> None:
    """Action Items left as the template's placeholders; nothing tracked in the backlog."""
    postmortem = doc["outputs"]["postmortem"]
    placeholder = "- [ ] <Preventive action 1>\n- [ ] <Preventive action 2>"
    set_field(doc, "postmortem", edit_section(postmortem, "Action Items", placeholder))
    _untracked(doc)


def _untracked(doc: Doc) -> None:
    step_id = step_setting(doc, "postmortem")
    drop_calls(doc, step_id, "track_action_item")
    unclaim(doc, step_id, r",?\s*(and\s+)?action items tracked", "tracked")


def late_severity(doc: Doc) -> None:
    """The severity step finishes 12 minutes after detection; everything after moves too."""
    ended = _step(doc, step_setting(doc, "severity"))["ended_at"]
    detected = _parse(doc["inputs"]["detected_at"])
    delay = detected + LATE_SEVERITY - _parse(ended)
    delay_from(doc, ended, delay)
    # The timeline's own HH:MM entries from that moment on (IC assigned...) move as well.
    moved = {}
    for key, event in doc["outputs"]["timeline"].items():
        at = datetime.combine(detected.date(), datetime.strptime(key, "%H:%M").time(), UTC)
        if at + timedelta(seconds=59) >= _parse(ended):
            key = (at + delay).strftime("%H:%M")
        moved[key] = event
    set_field(doc, "timeline", moved)


def evidence_not_linked(doc: Doc) -> None:
    """The postmortem has no Evidence section, so no ref the tools returned is cited."""
    postmortem = doc["outputs"]["postmortem"]
    set_field(doc, "postmortem", edit_section(postmortem, "Evidence", None))


def no_status_update(doc: Doc) -> None:
    """Stakeholders were never told: no status update was posted."""
    step_id = next(
        s["id"]
        for s in doc["steps"]
        if any(c["name"] == "post_status_update" for c in s["tool_calls"])
    )
    drop_calls(doc, step_id, "post_status_update")
    unclaim(doc, step_id, r"\s*(and|,)\s*stakeholders told", "stakeholders")


def postmortem_not_shared(doc: Doc) -> None:
    """The postmortem was written but never shared with the engineering team."""
    step_id = step_setting(doc, "postmortem")
    drop_calls(doc, step_id, "share_postmortem")
    unclaim(doc, step_id, r"\s*(and|,)\s*shared\b[^.;]*", "shared")


def timeline_without_times(doc: Doc) -> None:
    """The timeline lists the events but not when they happened."""
    timeline = doc["outputs"]["timeline"]
    set_field(doc, "timeline", {f"event {i}": v for i, v in enumerate(timeline.values(), 1)})


def mitigation_not_verified(doc: Doc) -> None:
    """Mitigation proposed but error rates never re-checked while mitigating."""
    drop_calls(doc, "mitigate", "query_metric")
    unclaim(doc, "mitigate", r",?\s*(and\s+)?error rates? (re-?)?checked", "checked")


def blameful_no_action_item(doc: Doc) -> None:
    """Two flaws: a blaming root cause, and 'action items' that are no preventive action."""
    postmortem = edit_section(doc["outputs"]["postmortem"], "Root Cause", BLAME)
    postmortem = edit_section(postmortem, "Action Items", "None. Sam will be more careful.")
    set_field(doc, "postmortem", postmortem)
    _untracked(doc)


FLAWS: dict[str, Callable[[Doc], None]] = {
    "missing-ic.json": missing_ic,
    "blameful-postmortem.json": blameful_postmortem,
    "no-action-item.json": no_action_item,
    "late-severity.json": late_severity,
    "evidence-not-linked.json": evidence_not_linked,
    "no-status-update.json": no_status_update,
    "postmortem-not-shared.json": postmortem_not_shared,
    "timeline-without-times.json": timeline_without_times,
    "mitigation-not-verified.json": mitigation_not_verified,
    "blameful-no-action-item.json": blameful_no_action_item,
}


def live(name: str) -> Doc:
    """Scenario ``name``'s real run, made live."""
    doc = real_run(name)
    go_live(doc)
    return finish(doc)


def build() -> dict[str, Doc]:
    """Every labelled transcript by file name."""
    good = live(BASE_SCENARIO)
    docs = {"good.json": good, **{file: live(name) for file, name in OTHER_GOOD.items()}}
    for file, flaw in FLAWS.items():
        doc = copy.deepcopy(good)
        flaw(doc)
        docs[file] = finish(doc)
        assert docs[file] != good, f"{file}: the flaw changed nothing"
    return docs


def main() -> None:
    """Write every transcript beside this file."""
    for file, doc in build().items():
        text = Transcript.model_validate(doc).model_dump_json(indent=2) + "\n"
        (HERE / file).write_text(text, encoding="utf-8")
        print(f"wrote {file}")


if __name__ == "__main__":
    main()
