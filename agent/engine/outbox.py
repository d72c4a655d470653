"""After a human said yes: approved actions leave the run through the engine's outbox, once.

The action tools only record proposals; nothing may leave the run before the
policy's approval rule got a recorded human approval. After every advance of a
run, whoever drives it (library, CLI, a server), the engine finds the accepted
actions whose approval question was answered yes (recomputing the question id
from the action, so an edited action never rides on an old yes), queues each
under its approval id in the run database's outbox, and POSTs what is not
delivered yet to the operator's webhook. A failed POST stays queued and is tried
again after the next advance, or by :func:`flush`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from agent.channels import WEBHOOK_TIMEOUT
from agent.engine.store import RunStore
from agent.graph.rules import approved_actions, approved_payload
from agent.skill.policy import Policy

ACTION = "action"


async def queue_approved(
    store: RunStore, thread_id: str, values: Mapping[str, Any], policy: Policy | None
) -> None:
    """Put every newly approved action in the outbox (an action already there stays once)."""
    if policy is None:
        return
    approvals = values.get("approvals", {})
    for qid, action in approved_actions(values, policy):
        payload = approved_payload(thread_id, qid, action, approvals[qid])
        await store.outbox_add(thread_id, qid, ACTION, payload)


async def flush(store: RunStore, thread_id: str, url: str | None) -> list[dict[str, Any]]:
    """POST the thread's undelivered actions; what each attempt did, in order."""
    pending = [e for e in await store.outbox_list(thread_id, pending=True) if e["kind"] == ACTION]
    if not url or not pending:
        return []
    done = []
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
        for entry in pending:
            error = None
            try:
                response = await client.post(url, json=entry["payload"])
                if not response.is_success:
                    error = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            await store.outbox_mark(thread_id, entry["key"], error=error)
            done.append({**entry, "error": error, "status": "failed" if error else "delivered"})
    return done
