"""Many runs at once in one process, against a loopback OpenAI-compatible server.

Run: ``.venv/bin/python bench/bench_concurrency.py [N] [LATENCY_MS]`` (default 200, 100).
Not a test: it prints numbers. A real HTTP server on 127.0.0.1 answers every model
call after a fixed latency with the smallest reply that fits the requested schema
(``bench/loopback_server.py``). The skill side is ``agent.start`` of incident-response
(planner, four steps, auditor; no policy rules, so every run completes) through the
real OpenAI client. The baseline is a bare LangGraph chain with the same number of
supersteps and the same number of HTTP calls per run, on the same checkpointer at
durability "sync", in the same process, its calls made through the openai SDK's
``chat.completions.create`` on the same connection pool: the same HTTP calls, made the way
our stack (which requires the openai client) makes them. It runs once more with raw
``httpx`` posts instead, so the SDK's own share of the cost shows. It also measures the
resume latency: from ``agent.resume`` with an answer to the next model request.

Targets: no lost run at N=200 on either store; wall time ≤ 1.5× the bare baseline (the
one with SDK calls); resume latency p50 under 15 ms. The three workloads take turns for
``ROUNDS`` rounds and the median ratio is printed: the machine's speed drifts over a run
of this length, and a single batch each (ours, then bare) moved the ratio by ±0.2
between runs.
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


ROUNDS = 3
"""Each round times our runs, the bare chain and the bare chain with SDK calls in turn."""

Timing = tuple[float, float]
"""Wall and CPU seconds of one batch."""


async def _load(db: str, url: str, runs: int, latency: float) -> None:
    skillset = Library([REPO / "skills"]).resolve("incident-response")
    no_rules = Policy()
    async with open_store(db) as store, httpx.AsyncClient(timeout=60) as client:
        model = OpenAIChatModel(model="bench", base_url=url, api_key="bench", http_client=client)
        probe = await api.start(skillset, {"a": "b"}, model=model, db=db, policy=no_rules)
        assert probe.status == "completed", probe
        calls = int(probe.usage["total"]["calls"])
        graph = await _history(store, probe.thread_id)
        chains = {
            name: _bare(graph, calls, post(client, url)).compile(checkpointer=store.saver)
            for name, post in (("bare", _raw_post), ("sdk", _sdk_post))
        }
        for name, chain in chains.items():  # as the probe run did for ours: lazy imports
            await _timed(chain, 1, f"{name}-warm")
        lost, rounds = 0, []
        for r in range(ROUNDS):
            started, cpu = time.perf_counter(), time.process_time()
            results = await asyncio.gather(
                *(
                    api.start(skillset, {"a": f"{r}-{i}"}, model=model, db=db, policy=no_rules)
                    for i in range(runs)
                ),
                return_exceptions=True,
            )
            ours = (time.perf_counter() - started, time.process_time() - cpu)
            lost += sum(
                not isinstance(x, api.RunResult) or x.status != "completed" for x in results
            )
            bare = await _timed(chains["bare"], runs, f"bare-{r}")
            sdk = await _timed(chains["sdk"], runs, f"sdk-{r}")
            rounds.append((ours, bare, sdk))
    _report(db.split(":", 1)[0], runs, lost, rounds, calls * latency, calls, graph)


def _report(
    kind: str,
    runs: int,
    lost: int,
    rounds: list[tuple[Timing, Timing, Timing]],
    ideal: float,
    calls: int,
    steps: int,
) -> None:
    """One line per round, then the median ratios (wall and CPU) to both baselines."""
    print(
        f"{kind:10} N={runs}, {len(rounds)} rounds; lost {lost}; latency-bound ideal "
        f"{ideal:.2f} s ({calls} calls, {steps} supersteps per run)"
    )
    for i, (ours, bare, sdk) in enumerate(rounds, 1):
        print(
            f"{'':10} round {i}: ours {ours[0]:6.2f} s, bare with SDK calls {sdk[0]:6.2f} s "
            f"({ours[0] / sdk[0]:.2f}×), bare with raw httpx posts {bare[0]:6.2f} s "
            f"({ours[0] / bare[0]:.2f}×)"
        )

    def median(side: int, of: int) -> float:
        return statistics.median(r[0][of] / r[side][of] for r in rounds)

    print(
        f"{'':10} median: {median(2, 0):.2f}× bare with SDK calls wall, {median(2, 1):.2f}× CPU "
        f"(target ≤ 1.5); {median(1, 0):.2f}× bare with raw httpx posts wall, "
        f"{median(1, 1):.2f}× CPU"
    )


async def _timed(chain: Any, runs: int, prefix: str) -> Timing:
    """Wall and CPU seconds of ``runs`` invocations of ``chain`` at once."""
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
