"""The planner: one model call for an ordered plan, then the ordering rules in code."""

from __future__ import annotations

from typing import Any

from agent.graph import guard_rules
from agent.graph._context import SkillContext, now, with_events, with_note, with_usage
from agent.graph.prompts import plan_messages
from agent.graph.state import RunState
from agent.llm.base import ModelRequest
from agent.skill.model import MicroSkill


def _mode(ms: MicroSkill, planned: str) -> tuple[str, str]:
    """A declared mode wins over the planner's choice (the scratchpad's rule)."""
    if ms.mode and ms.mode != planned:
        return ms.mode, f"declared {ms.mode} mode in SKILL.md overrides the planned {planned}"
    return planned, ""


def make_plan(ctx: SkillContext) -> Any:
    """Node factory: plan the run and record skill, inputs and plan in the audit log."""

    async def plan(state: RunState) -> dict[str, Any]:
        inputs = state.get("inputs", {})
        started = state.get("started_at") or now()
        loaded = with_events(
            state,
            (
                "skill_loaded",
                {
                    "name": ctx.skill.name,
                    "version": ctx.skill.version,
                    "content_hash": ctx.skill.content_hash,
                    "dependencies": [d.name for d in ctx.kernels],
                },
            ),
        )
        state = {**state, "audit_log": loaded}
        purpose = ctx.purpose("plan")
        if len(ctx.steps) == 1:
            # Nothing to order: skip the planner call (skills without micro-skills).
            only = ctx.steps[0]
            planned = [
                {
                    "id": only.id,
                    "goal": ctx.skill.description or only.title,
                    "mode": only.mode or "power",
                    "reason": "single step",
                }
            ]
            usage = dict(state.get("usage", {}))
            reasoning = ""
        else:
            lessons = []
            if ctx.memory is not None:
                found = await ctx.memory.asearch(ctx.lessons_namespace, limit=5)
                lessons = [item.value for item in found]
            response = await ctx.model.generate(
                ModelRequest(
                    purpose=purpose,
                    messages=plan_messages(ctx.skill, ctx.kernels, ctx.steps, inputs, lessons),
                    schema=ctx.schemas.plan,
                )
            )
            output = response.output
            assert not isinstance(output, str)
            planned = [s.model_dump() for s in output.steps]
            reasoning = output.reasoning
            usage = with_usage(state, purpose, response)
        notes = with_note(state, "plan", "plan", reasoning)
        by_id: dict[str, dict[str, Any]] = {}
        for item in planned:
            by_id.setdefault(item["id"], item)  # a repeated step runs once
        order, repairs = guard_rules.plan_order(ctx, list(by_id))
        plan_steps = []
        for sid in order:
            item = by_id[sid]
            mode, why = _mode(ctx.step(sid), item["mode"])
            plan_steps.append({**item, "mode": mode})
            notes = [
                *notes,
                {
                    "at": now(),
                    "step": sid,
                    "kind": "mode",
                    "text": f"{mode}: {why or item.get('reason') or 'planner choice'}",
                },
            ]
        skipped = {ms.id: "left out by the planner" for ms in ctx.steps if ms.id not in by_id}
        events: list[tuple[str, dict[str, Any]]] = [
            ("plan", {"steps": plan_steps, "skipped": skipped})
        ]
        events += [("verdict", v) for v in repairs]
        return {
            "inputs": inputs,
            "started_at": started,
            "status": "running",
            "model": ctx.model.name,
            "plan": plan_steps,
            "cursor": 0,
            "skipped": skipped,
            "usage": usage,
            "scratchpad": notes,
            "verdicts": [*state.get("verdicts", []), *repairs],
            "audit_log": with_events(state, *events),
        }

    return plan
