"""What the API and the inbox show, computed once from the engine: questions, run pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.access import Principal
from agent.audit import verify_chain
from agent.engine import api
from agent.graph.questions import approval_for
from agent.http.render import markdown_html, pretty
from agent.http.runs import RunHub


def _asked_at(audit_log: list[dict[str, Any]]) -> dict[str, str]:
    return {
        str(e["data"].get("id")): str(e.get("at"))
        for e in audit_log
        if e.get("kind") == "question" and isinstance(e.get("data"), dict)
    }


async def pending_questions(hub: RunHub, principal: Principal) -> list[dict[str, Any]]:
    """Every question waiting for an answer in the runs ``principal`` may see, oldest first."""
    found = []
    for run in await hub.runs(principal, status="paused", limit=1000):
        if hub.busy(run.thread_id):
            continue
        values, interrupts = await api.read_state(
            run.thread_id, db=hub.settings.db, data_dir=hub.settings.data_dir
        )
        asked = _asked_at(values.get("audit_log", []))
        for q in api.result_of(run.thread_id, values, interrupts).questions:
            found.append(
                {
                    **q,
                    "thread_id": run.thread_id,
                    "skill": run.skill,
                    "asked_at": asked.get(str(q["id"])),
                    "deadline": q.get("deadline"),
                }
            )
    return sorted(found, key=lambda q: q["asked_at"] or "")


def age(at: str | None, now: datetime | None = None) -> str:
    """How long ago an ISO time was, in words a person scans ("4 min ago")."""
    if not at:
        return ""
    try:
        then = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def _action_state(
    action: dict[str, Any],
    approvals: dict[str, Any],
    outbox: dict[str, dict[str, Any]],
) -> tuple[str, str]:
    """(state, what happened) of an action: proposed, approved or rejected, and delivery."""
    qid, answer = approval_for(str(action.get("id", "")), approvals) or (None, None)
    if answer is None:
        return "proposed", "proposed only: nothing was changed"
    if answer.get("approved") is not True:
        return "rejected", f"rejected by {answer.get('by') or 'someone'}: nothing was changed"
    sent = outbox.get(str(qid))
    who = answer.get("by") or "someone"
    if sent is not None and sent.get("status") == "delivered":
        return "approved", f"approved by {who}; the action webhook confirmed delivery"
    return "approved", f"approved by {who}; nothing was changed (no webhook confirmed it)"


def _drafted(
    values: dict[str, Any], accepted: set[str | None], questions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Actions of steps not accepted yet (waiting for approval, or under revision)."""
    latest: dict[str, list[Any]] = {}
    for event in values.get("audit_log", []):
        data = event.get("data") or {}
        if event.get("kind") == "step_end":  # a revision may propose nothing
            latest[str(data.get("step"))] = list(data.get("actions") or [])
    pending = [str(q["id"]) for q in questions]
    drafted = []
    for step, proposed in latest.items():
        if step in accepted:
            continue
        for index, action in enumerate(proposed):
            if not isinstance(action, dict):
                continue
            aid = f"{step}:{index}:{action.get('type')}"
            waiting = any(f":{aid}:" in f":{qid}:" for qid in pending)
            note = (
                "waiting for approval: nothing was changed"
                if waiting
                else ("proposed only: nothing was changed")
            )
            drafted.append({**action, "id": aid, "step": step, "state": "proposed", "note": note})
    return drafted


async def run_view(hub: RunHub, thread_id: str) -> dict[str, Any]:
    """Everything the run page shows, with model-written text rendered safely."""
    transcript = await api.export_transcript(
        thread_id, db=hub.settings.db, data_dir=hub.settings.data_dir
    )
    values = await hub.state(thread_id)
    status = await hub.status(thread_id)
    outbox = {str(e["key"]): e for e in await hub.outbox(thread_id)}
    approvals = dict(values.get("approvals", {}))
    actions = []
    for action in transcript.actions:
        record = action.model_dump(mode="json")
        state, note = _action_state(record, approvals, outbox)
        actions.append({**record, "state": state, "note": note})
    actions += _drafted(values, set(values.get("results", {})), status.questions)
    listed = {a.get("id") for a in actions}
    for refused in (r for r in transcript.rejected_actions if r.id not in listed):
        who = f"rejected by {refused.rejected_by}"
        why = f" ({refused.reason})" if refused.reason else ""
        record = refused.model_dump(mode="json")
        actions.append({**record, "state": "rejected", "note": f"{who}{why}: nothing was changed"})
    outputs = []
    for name, value in transcript.outputs.items():
        if isinstance(value, str):
            outputs.append({"name": name, "html": markdown_html(value)})
        else:
            outputs.append({"name": name, "text": pretty(value)})
    problems = verify_chain(values.get("audit_log", []))
    asked = _asked_at(values.get("audit_log", []))
    return {
        "thread_id": thread_id,
        "transcript": transcript,
        "status": status,
        "questions": [
            {**q, "asked_at": asked.get(str(q["id"])), "age": age(asked.get(str(q["id"])))}
            for q in status.questions
        ],
        "actions": actions,
        "outputs": outputs,
        "chain": {
            "intact": not problems,
            "problems": problems,
            "events": len(transcript.audit_log),
        },
        "last_seq": transcript.audit_log[-1].seq if transcript.audit_log else -1,
    }
