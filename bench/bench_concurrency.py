"""Many runs at once in one process, against a loopback OpenAI-compatible server.

Run: ``.venv/bin/python bench/bench_concurrency.py [N] [LATENCY_MS]`` (default 200, 100).
Not a test: it prints numbers. A real HTTP server on 127.0.0.1 answers every model
call after a fixed latency with the smallest reply that fits the requested schema
(``bench/loopback_server.py``). The skill side is ``agent.start`` of incident-response
(planner, four steps, auditor; no policy rules, so every run completes) through the
real OpenAI client. The baseline is a bare LangGraph chain with the same number of
supersteps and the same number of HTTP calls per run, on the same checkpointer at
durability "sync", in the same process: its calls are raw ``httpx`` posts (the target's
baseline), and once more through the openai SDK's ``chat.completions.create`` (what a bare
graph calling the same server would use), so the SDK's share of the gap shows. It also
measures the resume latency: from ``agent.resume`` with an answer to the next model request.

Targets: no lost run at N=200 on either store; wall time ≤ 1.5× the bare baseline;
resume latency p50 under 15 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypedDict

import httpx
from openai import AsyncOpenAI

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from langgraph.graph import END, START, StateGraph  # noqa: E402

from agent.engine import api  # noqa: E402
from agent.engine.store import open_store  # noqa: E402
from agent.llm import OpenAIChatModel, ScriptedModel  # noqa: E402
from agent.llm.base import ModelRequest, ModelResponse  # noqa: E402
from agent.skill.library import Library  # noqa: E402
from agent.skill.policy import Policy  # noqa: E402

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"


class _Chain(TypedDict):
    n: int


Call = Callable[[], Awaitable[object]]


def _raw_post(client: httpx.AsyncClient, url: str) -> Call:
    """One chat completion as a bare ``httpx`` post."""
    body = {"model": "bench", "messages": [{"role": "user", "content": "x" * 2000}]}

    async def post() -> object:
        response = await client.post(f"{url}/chat/completions", json=body)
        return response.raise_for_status()

    return post


def _sdk_post(client: httpx.AsyncClient, url: str) -> Call:
    """The same call through the openai SDK (same connection pool)."""
    legacy: Any = client  # typed for httpx2, takes an httpx client (as agent.llm does)
    sdk = AsyncOpenAI(base_url=url, api_key="bench", http_client=legacy, max_retries=0)

    async def post() -> object:
        return await sdk.chat.completions.create(
            model="bench", messages=[{"role": "user", "content": "x" * 2000}]
        )

    return post


def _bare(steps: int, calls: int, post: Call) -> Any:
    """``steps`` nodes in a row; the first ``calls`` of them each make one HTTP call."""
    builder: StateGraph[_Chain] = StateGraph(_Chain)

    def node(index: int) -> Any:
        async def run(state: _Chain) -> dict[str, int]:
            if index < calls:
                await post()
            return {"n": state["n"] + 1}

        return run

    names = [f"n{i}" for i in range(steps)]
    for i, name in enumerate(names):
        builder.add_node(name, node(i))
    for a, b in zip([START, *names], [*names, END], strict=True):
        builder.add_edge(a, b)
    return builder


async def _postgres_up() -> bool:
    try:
        import psycopg

        async with await psycopg.AsyncConnection.connect(PG_URL, connect_timeout=2):
            return True
    except Exception:
        return False


async def _load(db: str, url: str, runs: int, latency: float) -> None:
    skillset = Library([REPO / "skills"]).resolve("incident-response")
    no_rules = Policy()
    async with open_store(db) as store, httpx.AsyncClient(timeout=60) as client:
        model = OpenAIChatModel(model="bench", base_url=url, api_key="bench", http_client=client)
        probe = await api.start(skillset, {"a": "b"}, model=model, db=db, policy=no_rules)
        assert probe.status == "completed", probe
        calls = int(probe.usage["total"]["calls"])
        graph = await _history(store, probe.thread_id)
        started, cpu = time.perf_counter(), time.process_time()
        results = await asyncio.gather(
            *(
                api.start(skillset, {"a": str(i)}, model=model, db=db, policy=no_rules)
                for i in range(runs)
            ),
            return_exceptions=True,
        )
        ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        lost = [r for r in results if not isinstance(r, api.RunResult) or r.status != "completed"]
        raw = _bare(graph, calls, _raw_post(client, url)).compile(checkpointer=store.saver)
        bare, bare_cpu = await _timed(raw, runs, "bare")
        sdk = _bare(graph, calls, _sdk_post(client, url)).compile(checkpointer=store.saver)
        sdk_wall, sdk_cpu = await _timed(sdk, runs, "sdk")
    ideal = calls * latency
    kind = db.split(":", 1)[0]
    print(
        f"{kind:10} N={runs}: {ours:6.2f} s wall, lost {len(lost)}; bare LangGraph "
        f"{bare:6.2f} s; latency-bound ideal {ideal:.2f} s ({calls} calls × {latency * 1000:.0f} "
        f"ms, {graph} supersteps); ratio to bare {ours / bare:.2f} (target ≤ 1.5)\n"
        f"{'':10} CPU seconds of this process: {ours_cpu:.2f} against {bare_cpu:.2f} "
        f"({ours_cpu / bare_cpu:.2f}×)\n"
        f"{'':10} bare with the openai SDK's calls: {sdk_wall:6.2f} s, {sdk_cpu:.2f} CPU s; "
        f"ours to it {ours / sdk_wall:.2f}× wall, {ours_cpu / sdk_cpu:.2f}× CPU"
    )


async def _timed(chain: Any, runs: int, prefix: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``runs`` invocations of ``chain`` at once, after one warm-up.

    The warm-up matches the skill side's probe run: first calls load lazy imports.
    """
    warm: Any = {"configurable": {"thread_id": f"{prefix}-warm"}}
    await chain.ainvoke({"n": 0}, warm, durability="sync")
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(
        *(
            chain.ainvoke(
                {"n": 0}, {"configurable": {"thread_id": f"{prefix}-{i}"}}, durability="sync"
            )
            for i in range(runs)
        )
    )
    return time.perf_counter() - started, time.process_time() - cpu


async def _history(store: Any, thread_id: str) -> int:
    from agent.graph.compile import compile_skill

    skillset = Library([REPO / "skills"]).resolve("incident-response")
    graph = compile_skill(skillset, policy=Policy()).copy(update={"checkpointer": store.saver})
    cfg: Any = {"configurable": {"thread_id": thread_id}}
    return len([c async for c in graph.aget_state_history(cfg)]) - 1


class _Clock:
    """A scripted model that notes when each call arrives."""

    def __init__(self, inner: ScriptedModel) -> None:
        self.inner, self.name, self.seen = inner, inner.name, list[float]()

    async def generate(self, request: ModelRequest[Any]) -> ModelResponse[Any]:
        self.seen.append(time.perf_counter())
        return await self.inner.generate(request)

    async def aclose(self) -> None:
        """Nothing to release."""


async def _resume_latency(samples: int) -> list[float]:
    """Milliseconds from ``agent.resume`` with the severity answer to the next model request."""
    skillset = Library([REPO / "skills"]).resolve("incident-response")
    latencies = []
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/resume.sqlite"
        async with open_store(db):
            for i in range(samples):
                model = _Clock(ScriptedModel.from_file(EXAMPLE / "script.yaml"))
                paused = await api.start(
                    skillset,
                    {"i": str(i)},
                    model=model,
                    db=db,
                    evidence=EXAMPLE,
                    data_dir=Path(tmp),
                )
                answer = {paused.questions[0]["id"]: "SEV2 — payments are a major feature"}
                before = len(model.seen)
                started = time.perf_counter()
                await api.resume(paused.thread_id, answer, model=model, db=db, data_dir=Path(tmp))
                latencies.append((model.seen[before] - started) * 1000)
    return latencies


async def main(runs: int, latency_ms: float) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("loopback_server.py")),
        str(latency_ms),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        port = (await server.stdout.readline()).decode().strip()
        url = f"http://127.0.0.1:{port}/v1"
        with tempfile.TemporaryDirectory() as tmp:
            await _load(f"sqlite:///{tmp}/load.sqlite", url, runs, latency_ms / 1000)
        if await _postgres_up():
            await _load(PG_URL, url, runs, latency_ms / 1000)
        else:
            print(f"postgres: not reachable at {PG_URL}; skipped")
    finally:
        server.terminate()
        await server.wait()
    resumes = await _resume_latency(30)
    print(
        f"resume latency (answer → next model request), 30 runs: p50 "
        f"{statistics.median(resumes):.1f} ms, max {max(resumes):.1f} ms (target p50 < 15 ms)"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(int(args[0]) if args else 200, float(args[1]) if len(args) > 1 else 100.0))
