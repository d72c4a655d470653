"""The auditor: deterministic checks first, then one model self-check of the criteria.

Pass → ``completed`` with outputs. Fail → one bounded revision (the step that
owns the missing or failing output re-runs with the violations as feedback),
then ``blocked``. The model self-check only runs when the code checks pass,
which keeps a failing run from spending a call.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore
from langgraph.types import Command

from agent.errors import ModelOutputError
from agent.graph import guard_rules
from agent.graph._context import SkillContext, call_model, events, usage_of
from agent.graph.prompts import audit_messages
from agent.graph.state import RunState
from agent.llm.base import ModelRequest
from agent.skill.model import IOField

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "str": (str,),
    "text": (str,),
    "markdown": (str,),
    "object": (dict, list),
    "dict": (dict,),
    "array": (list,),
    "list": (list,),
    "number": (int, float),
    "integer": (int,),
    "int": (int,),
    "boolean": (bool,),
    "bool": (bool,),
}


def _output_problem(field: IOField, outputs: dict[str, Any]) -> str | None:
    value = outputs.get(field.name)
    if value is None or value == "" or value == [] or value == {}:
        return f"output `{field.name}` is missing" if field.required else None
    expected = _TYPES.get(field.type.strip("`").lower())
    if expected and not isinstance(value, expected):
        return f"output `{field.name}` should be {field.type}, got {type(value).__name__}"
    return None


def deterministic_problems(
    ctx: SkillContext, state: RunState
) -> tuple[list[str], list[dict[str, Any]]]:
    """Outputs present and typed, every step done or skipped, rules met, answers used."""
    outputs = state.get("outputs", {})
    problems = [p for f in ctx.skill.outputs if (p := _output_problem(f, outputs))]
    results, skipped = state.get("results", {}), state.get("skipped", {})
    problems += [
        f"planned step `{p['id']}` was neither executed nor skipped with a reason"
        for p in state.get("plan", [])
        if p["id"] not in results and p["id"] not in skipped
    ]
    verdicts = [v for v in guard_rules.final(ctx, state) if v["outcome"] != "allow"]
    problems += [
        f"{v['message']} (guardrail {v['guardrail_id']}, line {v['line']})" for v in verdicts
    ]
    used = {a for r in results.values() for a in r.get("answers_seen", [])}
    problems += [
        f"answer to `{q}` was not taken into account by any step"
        for q in state.get("answers", {})
        if q not in used
    ]
    return problems, verdicts


def _owner(ctx: SkillContext, state: RunState, problems: list[str]) -> str:
    """The step to revise: the one declaring (or named after) a failing output, else the last."""
    plan_ids = [str(p["id"]) for p in state.get("plan", [])]
    for f in ctx.skill.outputs:
        if any(f"`{f.name}`" in p for p in problems):
            for sid in plan_ids:
                if f.name in ctx.step(sid).outputs or sid == f.name or f.name in sid:
                    return sid
    return plan_ids[-1]


async def _remember(ctx: SkillContext, memory: BaseStore, state: RunState) -> None:
    """Keep what this run learned (step summaries and outputs) for later runs' planners."""
    results = state.get("results", {})
    lesson = {
        "at": state.get("started_at"),
        "summaries": {sid: r["result"].get("summary", "") for sid, r in results.items()},
        "outputs": state.get("outputs", {}),
    }
    key = f"{state.get('started_at', '')}-{len(results)}"
    await memory.aput(ctx.lessons_namespace, key, lesson)


def make_audit(ctx: SkillContext) -> Any:
    """Node factory: audit the finished run and complete, revise once, or block."""

    async def audit(state: RunState, runtime: Runtime[Any]) -> Command[str]:
        problems, verdicts = deterministic_problems(ctx, state)
        update: dict[str, Any] = {}
        checks: list[dict[str, Any]] = []
        if not problems and ctx.skill.success_criteria:
            purpose = ctx.purpose("audit")
            try:
                response = await call_model(
                    runtime,
                    ModelRequest(
                        purpose=purpose,
                        messages=audit_messages(
                            ctx.skill,
                            ctx.kernels,
                            state.get("outputs", {}),
                            {k: v["result"] for k, v in state.get("results", {}).items()},
                        ),
                        schema=ctx.schemas.audit,
                    ),
                )
            except ModelOutputError as exc:
                problems = [f"the auditor's self-check reply was unusable: {exc}"]
                update["usage"] = usage_of(purpose, exc)
            else:
                output = response.output
                assert not isinstance(output, str)
                checks = [c.model_dump() for c in output.criteria]
                problems = [
                    f"success criterion `{c['id']}` not met: {c['note']}"
                    for c in checks
                    if not c["met"]
                ]
                update["usage"] = usage_of(purpose, response)
        result = {"passed": not problems, "problems": problems, "criteria": checks}
        if not problems:
            if ctx.settings.memory and runtime.store is not None:
                await _remember(ctx, runtime.store, state)
            return Command(
                goto=END,
                update={
                    **update,
                    "status": "completed",
                    "audit_log": events(
                        ("audit_result", result),
                        ("outputs", {"outputs": state.get("outputs", {})}),
                        ("status", {"status": "completed"}),
                    ),
                },
            )
        revisions = state.get("audit_revisions", 0)
        if revisions >= ctx.settings.max_audit_revisions or not state.get("plan"):
            return Command(
                goto=END,
                update={
                    **update,
                    "status": "blocked",
                    "violations": problems,
                    "verdicts": verdicts,
                    "audit_log": events(
                        ("audit_result", result),
                        ("status", {"status": "blocked", "violations": problems}),
                    ),
                },
            )
        target = _owner(ctx, state, problems)
        feedback = dict(state.get("feedback", {}))
        feedback[target] = [*feedback.get(target, []), *problems]
        return Command(
            goto="router",
            update={
                **update,
                "audit_revisions": revisions + 1,
                "feedback": feedback,
                "cursor": next(i for i, p in enumerate(state["plan"]) if p["id"] == target),
                "return_to": len(state["plan"]),
                "audit_log": events(
                    ("audit_result", result),
                    ("decision", {"revise": target, "reason": "audit failed"}),
                ),
            },
        )

    return audit
