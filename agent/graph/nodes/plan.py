"""The planner: one model call for an ordered plan, then the ordering rules in code."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.errors import ModelOutputError
from agent.graph import guard_rules
from agent.graph._context import SkillContext, call_model, events, note, now, run_context, usage_of
from agent.graph.prompts import plan_messages
from agent.graph.state import RunState
from agent.llm.base import ModelRequest
from agent.skill.model import MicroSkill


def _mode(ms: MicroSkill, planned: str) -> tuple[str, str]:
    """A declared mode wins over the planner's choice (the scratchpad's rule)."""
    if ms.mode and ms.mode != planned:
        return ms.mode, f"declared {ms.mode} mode in SKILL.md overrides the planned {planned}"
    return planned, ""


def _completed(ctx: SkillContext, proposed: list[str]) -> list[str]:
    """The planner's order with every step it left out put back where the skill has it.

    Weak models drop steps; a skill's procedure is not optional unless its policy says so.
    """
    rank = {ms.id: i for i, ms in enumerate(ctx.steps)}
    out = list(proposed)
    for ms in ctx.steps:
        if ms.id in out:
            continue
        before = [i for i, sid in enumerate(out) if rank[sid] < rank[ms.id]]
        out.insert(before[-1] + 1 if before else 0, ms.id)
    return out


def make_plan(ctx: SkillContext) -> Any:
    """Node factory: plan the run and record skill, inputs and plan in the audit log."""

    async def plan(state: RunState, runtime: Runtime[Any]) -> dict[str, Any]:
        inputs = state.get("inputs", {})
        started = state.get("started_at") or now()
        loaded = {
            "name": ctx.skill.name,
            "version": ctx.skill.version,
            "content_hash": ctx.skill.content_hash,
            "dependencies": [d.name for d in ctx.kernels],
        }
        usage: dict[str, Any] = {}
        reasoning = ""
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
        else:
            lessons = []
            memory = runtime.store if ctx.settings.memory else None
            if memory is not None:
                found = await memory.asearch(ctx.lessons_namespace, limit=5)
                lessons = [item.value for item in found]
            purpose = ctx.purpose("plan")
            try:
                response = await call_model(
                    runtime,
                    ModelRequest(
                        purpose=purpose,
                        messages=plan_messages(ctx.skill, ctx.kernels, ctx.steps, inputs, lessons),
                        schema=ctx.schemas.plan,
                    ),
                )
            except ModelOutputError as exc:
                # No usable plan: the skill's own order is the plan (completed below).
                planned, reasoning = [], f"the planner's reply was unusable ({exc}); skill order"
                usage = usage_of(purpose, exc)
            else:
                output = response.output
                assert not isinstance(output, str)
                planned = [s.model_dump() for s in output.steps]
                reasoning = output.reasoning
                usage = usage_of(purpose, response)
        notes = note("plan", "plan", reasoning)
        by_id: dict[str, dict[str, Any]] = {}
        for item in planned:
            by_id.setdefault(item["id"], item)  # a repeated step runs once
        proposed = list(by_id)
        completed = _completed(ctx, proposed)
        for sid in completed:
            if sid not in by_id:
                by_id[sid] = {"id": sid, "goal": ctx.step(sid).title, "mode": "power", "reason": ""}
                notes += note(sid, "plan", "added in code: the planner left this step out")
        order, repairs = guard_rules.plan_order(ctx, completed)
        plan_steps = []
        for sid in order:
            item = by_id[sid]
            mode, why = _mode(ctx.step(sid), item["mode"])
            plan_steps.append({**item, "mode": mode})
            notes += note(sid, "mode", f"{mode}: {why or item.get('reason') or 'planner choice'}")
        skipped = {ms.id: "left out by the planner" for ms in ctx.steps if ms.id not in by_id}
        added = [sid for sid in completed if sid not in proposed]
        return {
            "inputs": inputs,
            "started_at": started,
            "status": "running",
            "model": run_context(runtime).model.name,
            "plan": plan_steps,
            "cursor": 0,
            "skipped": skipped,
            "usage": usage,
            "scratchpad": notes,
            "verdicts": repairs,
            "audit_log": events(
                ("skill_loaded", loaded),
                (
                    "plan",
                    {"steps": plan_steps, "skipped": skipped, "proposed": proposed, "added": added},
                ),
                *(("verdict", v) for v in repairs),
            ),
        }

    return plan
