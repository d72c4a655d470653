"""After a human said yes: hand approved actions to the operator's automation webhook.

The action tools only record proposals; nothing may leave the run before the
policy's approval rule got a recorded human approval. This module finds the
accepted actions whose approval question was answered yes (recomputing the
question id from the action, so an edited action never rides on an old yes),
and POSTs each one once to the configured webhook. What was sent is kept in the
thread's ledger, so calling it after every run call is idempotent; a failed POST
is recorded and tried again on the next call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agent.channels import WEBHOOK_TIMEOUT, StatusLog
from agent.graph.rules import approval_id
from agent.plugins import ToolContext
from agent.runtime.api import read_state
from agent.skill.model import Skill
from agent.skill.policy import ApprovalRule, Policy, load_policy


@dataclass(frozen=True)
class Dispatch:
    """One approved action and whether the webhook took it."""

    approval_id: str
    action: dict[str, Any]
    delivered: bool
    error: str | None = None


def approved_actions(values: Mapping[str, Any], policy: Policy) -> list[tuple[str, dict[str, Any]]]:
    """``(approval id, action)`` for every accepted action a human approved."""
    approvals = values.get("approvals", {})
    rules = [r for r in policy.rules if isinstance(r, ApprovalRule)]
    found = []
    for action in values.get("actions", []):
        for rule in rules:
            qid = approval_id(rule, action)
            if approvals.get(qid, {}).get("approved") is True:
                found.append((qid, action))
                break
    return found


def _ledger(data_dir: Path, thread_id: str) -> Path:
    name = StatusLog(data_dir, thread_id).path.stem
    return data_dir / "actions" / f"{name}.dispatched.json"


def _sent(file: Path) -> set[str]:
    return set(json.loads(file.read_text(encoding="utf-8"))) if file.is_file() else set()


async def dispatch_approved(
    values: Mapping[str, Any],
    policy: Policy,
    *,
    url: str | None,
    data_dir: Path,
    thread_id: str,
) -> list[Dispatch]:
    """POST approved actions not yet sent; nothing at all without a URL."""
    if not url:
        return []
    ledger = _ledger(data_dir, thread_id)
    sent = _sent(ledger)
    results = []
    approvals = values.get("approvals", {})
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
        for qid, action in approved_actions(values, policy):
            if qid in sent:
                continue
            answer = approvals[qid]
            payload = {
                "thread_id": thread_id,
                "approval_id": qid,
                "approved_by": answer.get("by"),
                "approved_at": answer.get("at"),
                "action": {k: action.get(k) for k in ("type", "description", "target")},
            }
            error = None
            try:
                response = await client.post(url, json=payload)
                if not response.is_success:
                    error = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                sent.add(qid)
            results.append(Dispatch(qid, payload["action"], error is None, error))
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_text(json.dumps(sorted(sent)), encoding="utf-8")
    return results


async def dispatch_thread(
    skill: Skill, ctx: ToolContext, *, db: str | None = None
) -> list[Dispatch]:
    """Send what a stored run has had approved so far; call it after every start/resume."""
    if not ctx.action_webhook_url:
        return []
    policy = load_policy(Path(skill.path)) if skill.path else None
    if policy is None:
        return []
    values, _ = await read_state(ctx.thread_id, db=db, data_dir=ctx.data_dir)
    return await dispatch_approved(
        values, policy, url=ctx.action_webhook_url, data_dir=ctx.data_dir, thread_id=ctx.thread_id
    )
