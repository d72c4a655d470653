"""Micro-skill nodes: one model call each, whose result waits in ``draft`` for the guard.

A step node makes exactly one model call (with the skill's tools) and never
interrupts, so a resume never re-runs a finished call: checkpoints are written
after every node, and the questions a step raises are asked by the ``ask`` node.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.errors import ModelOutputError
from agent.graph._context import (
    SkillContext,
    call_model,
    events,
    note,
    now,
    run_tools,
    usage_of,
)
from agent.graph.prompts import step_messages
from agent.graph.state import RunState
from agent.graph.step_tools import tools_for
from agent.llm.base import Message, ModelRequest, ToolCallRecord


def _plan_item(state: RunState, step_id: str) -> dict[str, Any]:
    found = next((p for p in state.get("plan", []) if p["id"] == step_id), None)
    return dict(found) if found is not None else {"goal": "", "mode": "power"}


def _log_entry(step_id: str, item: dict[str, Any], started: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": step_id,
        "mode": item.get("mode"),
        "goal": item.get("goal", ""),
        "started_at": started,
        "ended_at": now(),
        **extra,
    }


def _private_notes_removed(messages: list[Message]) -> list[Message]:
    """The exchange as the transcript keeps it: the reply's scratchpad notes stay private."""
    kept = []
    for message in messages:
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, str) and '"notes"' in content:
            try:
                reply = json.loads(content)
            except json.JSONDecodeError:
                reply = None
            if isinstance(reply, dict):
                reply.pop("notes", None)
                message = {**message, "content": json.dumps(reply, ensure_ascii=False)}
        kept.append(message)
    return kept


def _with_tool_findings(result: dict[str, Any], calls: list[ToolCallRecord]) -> dict[str, Any]:
    """Add what successful tool calls recorded: cited ``refs`` and proposed ``action``s.

    This is code, not the model's say-so: evidence a tool cited must be preserved
    even if the reply forgets it, and an action a tool recorded faces the policy's
    approval rules even if the reply leaves it out.
    """
    evidence, actions = list(result["evidence"]), list(result["actions"])
    for call in calls:
        try:
            answer = json.loads(call.result) if not call.error else None
        except json.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            continue
        evidence += [str(r) for r in answer.get("refs", []) if isinstance(r, (str, int))]
        action = answer.get("action")
        if isinstance(action, dict) and action.get("type"):
            fields = ("type", "description", "target")
            recorded = {k: str(action.get(k) or "") for k in fields}
            if recorded not in [{k: a.get(k, "") for k in fields} for a in actions]:
                actions.append(recorded)
    return {**result, "evidence": list(dict.fromkeys(evidence)), "actions": actions}


def _attempt(runtime: Runtime[Any]) -> str | None:
    """This node execution's id as the journal keys it (``checkpoint_ns|task_id``).

    The effects ledger records it for every effect a tool asks for, so an effect can be
    told apart by whether the attempt that caused it was accepted (see the transcript).
    """
    info = runtime.execution_info
    return f"{info.checkpoint_ns}|{info.task_id}" if info is not None else None


def _without(record: Any, key: str) -> dict[str, Any]:
    return {k: v for k, v in dict(record).items() if k != key}


def make_step(ctx: SkillContext, step_id: str) -> Any:
    """Node factory: run micro-skill ``step_id`` once and leave its result for the guard."""
    ms = ctx.step(step_id)
    purpose = ctx.purpose(f"step:{step_id}")

    async def step(state: RunState, runtime: Runtime[Any]) -> dict[str, Any]:
        started = now()
        item = _plan_item(state, step_id)
        runtime.stream_writer(
            {"event": "step_start", "step": step_id, "mode": item["mode"], "skill": ctx.skill.name}
        )
        prior = {sid: r["result"] for sid, r in state.get("results", {}).items()}
        # what was answered and by whom; not when (a prompt must not change with the clock)
        answers = [
            {"question": q["text"], **_without(state.get("answers", {})[q["id"]], "at")}
            for q in state.get("questions", [])
            if q["id"] in state.get("answers", {})
        ]
        try:
            response = await call_model(
                runtime,
                ModelRequest(
                    purpose=purpose,
                    messages=step_messages(
                        ctx.skill,
                        ctx.kernels,
                        ms,
                        goal=item.get("goal", ""),
                        mode=item["mode"],
                        inputs=state.get("inputs", {}),
                        prior=prior,
                        answers=answers,
                        feedback=state.get("feedback", {}).get(step_id, []),
                    ),
                    schema=ctx.schemas.step_for(step_id),
                    tools=tools_for(
                        ms, ctx.policy, run_tools(runtime, ctx.skill, state.get("inputs", {}))
                    ),
                    salvage=("fields",),
                ),
            )
        except ModelOutputError as exc:
            # The model could not produce the step's result: the guard blocks the run
            # with the reason (a weak model's run ends blocked, never failed).
            why = f"the model's reply for step `{step_id}` did not fit its schema: {exc}"
            return {
                "draft": {"step": step_id, "unusable": why[:500]},
                "usage": usage_of(purpose, exc),
                "audit_log": events(
                    ("step_start", {"step": step_id, "mode": item["mode"], "at": started})
                ),
            }
        output = response.output
        assert not isinstance(output, str)
        result = _with_tool_findings(output.model_dump(), response.tool_calls)
        # named fields the step left out come back as None: they were not produced
        result["fields"] = {k: v for k, v in result["fields"].items() if v is not None}
        notes = note(step_id, "note", result.pop("notes", ""))
        for dropped in response.dropped:
            given = json.dumps(dropped.value, ensure_ascii=False, default=str)
            notes += note(
                step_id, "dropped", f"left out {dropped.path} ({dropped.error}); it was {given}"
            )
        if not 0.0 <= result["confidence"] <= 1.0:
            clamped = min(max(result["confidence"], 0.0), 1.0)
            notes += note(step_id, "clamped", f"confidence {result['confidence']} → {clamped}")
            result["confidence"] = clamped
        entry = _log_entry(
            step_id,
            item,
            started,
            summary=result["summary"],
            fields=result["fields"],
            decisions=result["decisions"],
            confidence=result["confidence"],
            messages=_private_notes_removed(response.messages),
            structured_mode=response.structured_mode,
            tool_calls=[c.model_dump() for c in response.tool_calls],
        )
        return {
            "draft": {
                "step": step_id,
                "result": result,
                "answers_seen": list(state.get("answers", {})),
                "attempt": _attempt(runtime),
            },
            "steps_log": [entry],
            "usage": usage_of(purpose, response),
            "scratchpad": notes,
            "audit_log": events(
                ("step_start", {"step": step_id, "mode": item["mode"], "at": started}),
                (
                    "step_end",
                    {
                        "step": step_id,
                        "summary": result["summary"],
                        "decisions": result["decisions"],
                        "actions": result["actions"],
                        "tool_calls": [c.name for c in response.tool_calls],
                    },
                ),
            ),
        }

    return step


def make_invoke(
    ctx: SkillContext, step_id: str, subgraph: CompiledStateGraph[Any, Any, Any, Any]
) -> Any:
    """Node factory for a master skill's ``**Invokes:**`` step: run the invoked skill's graph.

    The subgraph shares the parent's checkpointer (under its own namespace), so an
    interrupt inside it pauses the whole run and a resume continues inside it.
    """

    async def invoke(
        state: RunState, config: RunnableConfig, runtime: Runtime[Any]
    ) -> dict[str, Any]:
        started = now()
        item = _plan_item(state, step_id)
        prior = {sid: r["result"].get("fields", {}) for sid, r in state.get("results", {}).items()}
        inputs = {**state.get("inputs", {}), **{k: v for f in prior.values() for k, v in f.items()}}
        final: dict[str, Any] = await subgraph.ainvoke(
            {"inputs": inputs}, config, context=runtime.context
        )
        status = final.get("status", "failed")
        # the invoked skill's accepted attempts count as this step's (their effects are done)
        attempts = [
            a
            for r in final.get("results", {}).values()
            for a in [r.get("attempt"), *r.get("attempts", [])]
            if a
        ]
        result = {
            "summary": f"invoked skill finished {status}",
            "fields": dict(final.get("outputs", {})),
            "decisions": [],
            "ambiguities": [],
            "actions": list(final.get("actions", [])),
            "evidence": list(final.get("evidence", [])),
            "confidence": 1.0 if status == "completed" else 0.0,
        }
        entry = _log_entry(
            step_id,
            item,
            started,
            summary=result["summary"],
            fields=result["fields"],
            decisions=[],
            confidence=result["confidence"],
            messages=[],
            tool_calls=[],
        )
        return {
            "draft": {
                "step": step_id,
                "result": result,
                "answers_seen": list(state.get("answers", {})),
                "invoked_status": status,
                "invoked_violations": list(final.get("violations", [])),
                "attempts": attempts,
            },
            "steps_log": [entry],
            "usage": dict(final.get("usage", {})),
            "audit_log": events(
                ("step_start", {"step": step_id, "mode": item["mode"], "at": started}),
                (
                    "step_end",
                    {"step": step_id, "summary": result["summary"], "invoked_status": status},
                ),
            ),
        }

    return invoke
