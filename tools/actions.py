"""Action tools: propose mitigations, post status updates, file follow-ups; no infra changes.

A proposal is only a record (in the answer, which the step turns into its
``actions``, and in the thread's action ledger). Destructive ones carry types the
skill's policy puts behind a human approval, so a proposal never goes further
without a recorded yes. Status updates are not destructive: they go to the
configured channel at once, and a failed delivery is recorded and retried
without stopping the run. The postmortem's follow-ups are not destructive either:
action items are filed in the data directory's backlog (``backlog.jsonl``, shared
by every incident) and the postmortem is shared through the status channel.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel

from agent.audit import redact
from agent.channels import StatusLog, open_channel
from agent.plugins import ToolContext

DESTRUCTIVE = ("rollback-deploy", "scale-up", "feature-flag-off", "redirect-traffic")
"""Action types that need a human approval (see the skill's policy.yaml)."""
NOTE = "proposal recorded; no infrastructure was changed"


def _append_once(path: Path, key: str, record: dict[str, Any]) -> None:
    """Append ``record`` under ``key`` unless a line already carries that key.

    The engine records an effect after it happened; a kill in between runs the tool
    again with the same key, and this is where the second copy is dropped.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        with path.open(encoding="utf-8") as lines:
            if any(json.loads(line).get("key") == key for line in lines if line.strip()):
                return
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"key": key, **record}, ensure_ascii=False) + "\n")


def _ledger(ctx: ToolContext, key: str, record: dict[str, Any]) -> None:
    name = StatusLog(ctx.data_dir, ctx.thread_id).path.name
    _append_once(ctx.data_dir / "actions" / name, key, record)


async def _propose(ctx: ToolContext, kind: str, target: str, description: str) -> str:
    action = {"type": kind, "description": redact(description), "target": target}

    async def record(key: str) -> dict[str, Any]:
        done = {"action": action, "status": "proposed", "needs_approval": kind in DESTRUCTIVE}
        _ledger(ctx, key, done)
        return done

    done = await ctx.once("proposal", action, record)
    return json.dumps({**done, "note": NOTE}, ensure_ascii=False)


async def _send(ctx: ToolContext, message: str, action: dict[str, Any]) -> str:
    """Send ``message`` to ``ctx``'s channel once per run; record it as ``action``.

    The text is the model's: a secret in it is masked before it leaves the run.
    """
    message = redact(message)

    async def deliver(key: str) -> dict[str, Any]:
        channel = open_channel(
            ctx.data_dir,
            ctx.thread_id,
            channel=ctx.channel,
            webhook_url=ctx.status_webhook_url,
        )
        delivery = await channel.send(message, key)
        record = {
            "action": {**action, "description": message, "target": delivery.channel},
            "status": "sent" if delivery.delivered else "queued",
            "delivered": delivery.delivered,
            "error": delivery.error,
            "resent": delivery.resent,
        }
        _ledger(ctx, key, record)
        return record

    record = await ctx.once("message", {**action, "text": message}, deliver)
    return json.dumps(record, ensure_ascii=False)


class _Rollback(BaseModel):
    service: str
    to_version: str
    reason: str


class _ScaleUp(BaseModel):
    service: str
    replicas: int
    reason: str


class _FlagOff(BaseModel):
    flag: str
    reason: str


class _Redirect(BaseModel):
    from_region: str
    to_region: str
    reason: str


class _Status(BaseModel):
    message: str


class _ActionItem(BaseModel):
    title: str
    owner: str = ""
    kind: str = "preventive"


class _Share(BaseModel):
    title: str
    audience: str = "engineering"


def make_tools(ctx: ToolContext) -> list[BaseTool]:
    """Proposal tools for the four mitigations, status updates to ``ctx``'s channel, follow-ups.

    The argument schemas are declared once above: inferring them from the signatures
    would build a pydantic model per tool for every run.
    """

    @tool(args_schema=_Rollback)
    async def propose_rollback(service: str, to_version: str, reason: str) -> str:
        """Propose rolling ``service`` back to ``to_version`` (needs the IC's approval)."""
        return await _propose(
            ctx, "rollback-deploy", service, f"roll back {service} to {to_version}: {reason}"
        )

    @tool(args_schema=_ScaleUp)
    async def propose_scale_up(service: str, replicas: int, reason: str) -> str:
        """Propose scaling ``service`` to ``replicas`` instances (needs the IC's approval)."""
        return await _propose(ctx, "scale-up", service, f"scale {service} to {replicas}: {reason}")

    @tool(args_schema=_FlagOff)
    async def propose_feature_flag_off(flag: str, reason: str) -> str:
        """Propose turning feature flag ``flag`` off (needs the IC's approval)."""
        return await _propose(ctx, "feature-flag-off", flag, f"turn {flag} off: {reason}")

    @tool(args_schema=_Redirect)
    async def propose_traffic_redirect(from_region: str, to_region: str, reason: str) -> str:
        """Propose moving traffic away from an unhealthy region (needs the IC's approval)."""
        return await _propose(
            ctx,
            "redirect-traffic",
            from_region,
            f"redirect traffic from {from_region} to {to_region}: {reason}",
        )

    @tool(args_schema=_Status)
    async def post_status_update(message: str) -> str:
        """Send a status update to stakeholders on the incident channel."""
        return await _send(ctx, message, {"type": "status-update"})

    @tool(args_schema=_ActionItem)
    async def track_action_item(title: str, owner: str = "", kind: str = "preventive") -> str:
        """File a postmortem action item in the team's backlog, so the follow-up is tracked.

        ``kind`` is e.g. ``preventive`` or ``tech-debt``. Filing changes no infrastructure;
        the same item filed again in the same run is filed once.
        """
        title, owner = redact(title), redact(owner)

        async def file(key: str) -> dict[str, Any]:
            action = {"type": "backlog-item", "description": title, "target": "backlog"}
            record = {"action": action, "owner": owner, "kind": kind, "status": "tracked"}
            _ledger(ctx, key, record)
            at = datetime.now(UTC).isoformat(timespec="seconds")
            item = {"at": at, "thread_id": ctx.thread_id, "title": title, "owner": owner}
            _append_once(ctx.data_dir / "backlog.jsonl", key, {**item, "kind": kind})
            return record

        record = await ctx.once("backlog", {"title": title, "owner": owner, "kind": kind}, file)
        return json.dumps(record, ensure_ascii=False)

    @tool(args_schema=_Share)
    async def share_postmortem(title: str, audience: str = "engineering") -> str:
        """Share the postmortem with the broader team (default: all of engineering).

        It goes out on the incident's status channel, so learnings reach more than the
        responders.
        """
        message = f"Postmortem shared with {audience}: {title}"
        return await _send(ctx, message, {"type": "postmortem-share"})

    return [
        propose_rollback,
        propose_scale_up,
        propose_feature_flag_off,
        propose_traffic_redirect,
        post_status_update,
        track_action_item,
        share_postmortem,
    ]
