"""Compile a resolved skill into a LangGraph StateGraph.

Shape: ``START → plan → router ⇄ {micro-skill nodes → guard, ask, audit} → END``.
Every micro-skill is a node named by its slug; a skill without micro-skills
gets one ``apply`` step. Routing nodes return ``Command(goto=...)`` and declare
their destinations, so ``draw_mermaid()`` shows the real edges. A master
skill's ``**Invokes:**`` steps run the invoked skills' own graphs as subgraphs.
"""

from __future__ import annotations

from pathlib import Path

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.graph import guard_rules
from agent.graph._context import (
    APPLY_STEP,
    GraphSettings,
    RunContext,
    SkillContext,
    judge_plan,
    step_ids,
)
from agent.graph.nodes.ask import make_ask
from agent.graph.nodes.audit import make_audit
from agent.graph.nodes.guard import make_guard
from agent.graph.nodes.plan import make_plan
from agent.graph.nodes.router import make_router
from agent.graph.nodes.step import make_invoke, make_step
from agent.graph.schemas import build_schemas
from agent.graph.state import RunState
from agent.skill.library import SkillSet
from agent.skill.model import MicroSkill, Skill
from agent.skill.policy import Policy, load_policy

__all__ = ["GraphSettings", "RunContext", "build_graph", "compile_skill", "judge_schedule"]

_RESERVED = frozenset({"plan", "router", "guard", "ask", "audit"})


def _steps(skill: Skill) -> tuple[MicroSkill, ...]:
    """The skill's micro-skills, or one synthetic ``apply`` step holding the whole skill."""
    if skill.micro_skills:
        return tuple(
            ms if ms.id not in _RESERVED else ms.model_copy(update={"id": f"{ms.id}-step"})
            for ms in skill.micro_skills
        )
    body = "\n\n".join(
        s for s in (skill.kernel, *(sec.body for sec in skill.sections.values())) if s
    )
    return (
        MicroSkill(
            id=APPLY_STEP,
            number=1,
            title=f"Apply {skill.name}",
            steps=body or skill.description,
            body=body or skill.description,
            line=1,
        ),
    )


def _policy_for(skill: Skill, policy: Policy | None) -> Policy | None:
    if policy is not None:
        return policy
    return load_policy(Path(skill.path)) if skill.path else None


def judge_schedule(skill: Skill, policy: Policy | None = None) -> dict[str, tuple[str, ...]]:
    """Which guardrail ids the model judges after which step (empty when rules cover all).

    With the policy's ``judge.at: last-step`` every judged id is checked in the one
    call after the skill's last step (the purpose scripts answer: ``judge:<last step>``).
    """
    loaded = _policy_for(skill, policy)
    steps = _steps(skill)
    plan = judge_plan(steps, guard_rules.judged_guardrails(loaded, skill))
    if loaded is None or loaded.judge.at == "each-step":
        return plan
    every = tuple(dict.fromkeys(g for ids in plan.values() for g in ids))
    return {sid: every if sid == steps[-1].id else () for sid in plan}


def build_graph(
    skillset: SkillSet,
    *,
    policy: Policy | None = None,
    settings: GraphSettings | None = None,
    prefix: str = "",
) -> StateGraph[RunState, RunContext]:
    """The uncompiled graph; the model and tools come with each run (``RunContext``).

    ``policy`` defaults to the ``policy.yaml`` next to the skill (if any); pass an
    empty ``Policy()`` to run without deterministic rules.
    """
    skill = skillset.skill
    steps = _steps(skill)
    settings = settings or GraphSettings()
    loaded = _policy_for(skill, policy)
    ctx = SkillContext(
        skill=skill,
        kernels=tuple(skillset.dependencies),
        steps=steps,
        policy=loaded,
        schemas=build_schemas(skill, step_ids(steps), guard_rules.owed_facts(loaded)),
        settings=settings,
        prefix=prefix,
        judged=judge_plan(steps, guard_rules.judged_guardrails(loaded, skill)),
    )
    builder: StateGraph[RunState, RunContext] = StateGraph(RunState, context_schema=RunContext)
    ids = step_ids(steps)
    builder.add_node("plan", make_plan(ctx))
    builder.add_node("router", make_router(ctx), destinations=(*ids, "ask", "guard", "audit", END))
    for ms in steps:
        target = next((t for t in ms.invokes if t in skillset.invoked), None)
        if target is None:
            builder.add_node(ms.id, make_step(ctx, ms.id))
        else:
            sub = compile_skill(
                skillset.invoked[target], settings=settings, prefix=f"{prefix}{target}/"
            )
            builder.add_node(ms.id, make_invoke(ctx, ms.id, sub))
        builder.add_edge(ms.id, "guard")
    builder.add_node("guard", make_guard(ctx), destinations=("router", "ask", END))
    builder.add_node("ask", make_ask(ctx), destinations=("router",))
    builder.add_node("audit", make_audit(ctx), destinations=("router", END))
    builder.add_edge(START, "plan")
    builder.add_edge("plan", "router")
    return builder


_CACHE: dict[tuple[str, ...], CompiledStateGraph[RunState, RunContext]] = {}
_CACHE_SIZE = 64


def _version_key(
    skillset: SkillSet, policy: Policy | None, settings: GraphSettings | None, prefix: str
) -> tuple[str, ...]:
    """What makes two compiled graphs the same: every skill's text, the policy, the bounds."""
    texts = [skillset.skill.content_hash, *(d.content_hash for d in skillset.dependencies)]
    texts += [f"{n}={s.skill.content_hash}" for n, s in sorted(skillset.invoked.items())]
    loaded = _policy_for(skillset.skill, policy)
    rules = loaded.model_dump_json() if loaded is not None else "-"
    return (*texts, rules, repr(settings or GraphSettings()), prefix)


def compile_skill(
    skillset: SkillSet,
    *,
    policy: Policy | None = None,
    settings: GraphSettings | None = None,
    prefix: str = "",
) -> CompiledStateGraph[RunState, RunContext]:
    """The checkpointer-free runnable graph, compiled once per skill version and cached.

    Run it with ``context=RunContext(model=..., tools=...)``; bind a checkpointer for
    one run with ``graph.copy(update={"checkpointer": saver})``. A subgraph without a
    checkpointer inherits its parent's. LangGraph Server serves it as it is.
    """
    key = _version_key(skillset, policy, settings, prefix)
    found = _CACHE.get(key)
    if found is None:
        builder = build_graph(skillset, policy=policy, settings=settings, prefix=prefix)
        found = builder.compile(name=skillset.skill.name)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = found
    return found
