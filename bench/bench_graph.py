"""Overhead of a skill run over a bare LangGraph chain, same checkpointer and durability.

Run: ``.venv/bin/python bench/bench_graph.py [N]``. Not a test: it prints numbers.
With a zero-latency scripted model the incident-response run is pure runtime
overhead (prompt building, rules, audit chain, checkpoints). The baseline is a
chain of trivial nodes with the same number of supersteps per run, on the same
SQLite checkpointer at durability "sync", in the same process.
The per-superstep target is the compiled skill graph's (what this bench measured when
the target was set: 1.35×). The same run through ``agent.start`` is printed beside it:
that adds what a run costs once or per model call rather than per superstep (the recipe
and registry rows, one committed journal row per model call, the event stream).
Targets: ratio ≤ 1.3; LLM calls per run ≤ steps + 3 when the policy covers the
guardrails.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the seed's happy-path script lives with the tests

from graph.scripts import incident  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402

from agent.engine import api  # noqa: E402
from agent.engine.store import open_store  # noqa: E402
from agent.graph.compile import RunContext, compile_skill, judge_schedule  # noqa: E402
from agent.llm.scripted import ScriptedModel  # noqa: E402
from agent.skill.library import Library, SkillSet  # noqa: E402
from agent.skill.policy import JudgeSettings, Policy, load_policy  # noqa: E402

TARGET_RATIO = 1.3


class _Chain(TypedDict):
    n: int


def _bare_chain(length: int) -> StateGraph[_Chain]:
    builder: StateGraph[_Chain] = StateGraph(_Chain)

    def bump(state: _Chain) -> dict[str, int]:
        return {"n": state["n"] + 1}

    names = [f"n{i}" for i in range(length)]
    for name in names:
        builder.add_node(name, bump)
    for a, b in zip([START, *names], [*names, END], strict=True):
        builder.add_edge(a, b)
    return builder


async def _calls_per_run(skillset: SkillSet, policy: Policy | None, db: str) -> int:
    """LLM calls of one run under ``policy`` (None: the shipped policy.yaml)."""
    script = incident.happy(skillset.skill, judge_schedule(skillset.skill, policy))
    result = await api.start(
        skillset, {"alert": "5xx"}, model=ScriptedModel(script), db=db, policy=policy
    )
    return int(result.usage["total"]["calls"])


async def main(runs: int) -> None:
    skillset = Library([REPO / "skills"]).resolve("incident-response")
    script = incident.happy(skillset.skill, judge_schedule(skillset.skill))
    shipped = load_policy(Path(str(skillset.skill.path)))
    assert shipped is not None
    covered = shipped.model_copy(update={"judge": JudgeSettings(guardrails=[])})
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.sqlite"
        async with open_store(db) as store:  # held open: runs share it, as a server's would
            probe = await api.start(
                skillset, {"alert": "5xx"}, "probe", model=ScriptedModel(script), db=db
            )
            assert probe.status == "completed"
            cfg0: Any = {"configurable": {"thread_id": "probe"}}
            graph = compile_skill(skillset).copy(update={"checkpointer": store.saver})
            supersteps = len([c async for c in graph.aget_state_history(cfg0)]) - 1
            chain = _bare_chain(supersteps).compile(checkpointer=store.saver)
            ours, bare, alone = 0.0, 0.0, 0.0
            cpu = {"ours": 0.0, "bare": 0.0, "alone": 0.0}
            # Interleaved so that load on the machine hits both sides alike.
            for i in range(runs):
                cfg_alone: Any = {"configurable": {"thread_id": f"alone-{i}"}}
                started, on_cpu = time.perf_counter(), time.process_time()
                await graph.ainvoke(
                    {"inputs": {"alert": "5xx"}},
                    cfg_alone,
                    context=RunContext(model=ScriptedModel(script)),
                    durability="sync",
                )
                alone += time.perf_counter() - started
                cpu["alone"] += time.process_time() - on_cpu
                started, on_cpu = time.perf_counter(), time.process_time()
                result = await api.start(
                    skillset, {"alert": "5xx"}, f"skill-{i}", model=ScriptedModel(script), db=db
                )
                ours += time.perf_counter() - started
                cpu["ours"] += time.process_time() - on_cpu
                assert result.status == "completed", result.violations
                cfg: Any = {"configurable": {"thread_id": f"bare-{i}"}}
                started, on_cpu = time.perf_counter(), time.process_time()
                await chain.ainvoke({"n": 0}, cfg, durability="sync")
                bare += time.perf_counter() - started
                cpu["bare"] += time.process_time() - on_cpu
            shipped_calls = await _calls_per_run(skillset, None, db)
            covered_calls = await _calls_per_run(skillset, covered, db)
    ours_ms = ours * 1000 / (runs * supersteps)
    alone_ms = alone * 1000 / (runs * supersteps)
    bare_ms = bare * 1000 / (runs * supersteps)
    target = len(skillset.skill.micro_skills) + 3
    print(f"runs: {runs}, supersteps per run: {supersteps}")
    print(
        f"the compiled skill graph: {alone_ms:.3f} ms/step   bare chain: {bare_ms:.3f} ms/step   "
        f"ratio: {alone_ms / bare_ms:.2f} (target ≤ {TARGET_RATIO})"
    )
    print(
        f"the same run through agent.start (recipe, registry, journal, events): "
        f"{ours_ms:.3f} ms/step   ratio: {ours_ms / bare_ms:.2f}"
    )
    print(
        f"CPU time of this process: the graph {cpu['alone'] / cpu['bare']:.2f}× the bare chain, "
        f"agent.start {cpu['ours'] / cpu['bare']:.2f}× (less swayed by other load)"
    )
    print(
        f"LLM calls per run: {shipped_calls} with the shipped policy (prose guardrails judged), "
        f"{covered_calls} when rules cover the guardrails (target ≤ steps + 3 = {target})"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
