"""Prompt tokens of whole runs against the naive baseline (the whole skill in every call).

Run: ``.venv/bin/python bench/bench_tokens.py``. Not a test: it prints numbers.
The live tier's runs on SmolLM2 end early (blocked), and a weak model's repairs
re-send whole conversations; this measures runs that go to the end. A loopback
OpenAI-compatible server (``bench/loopback_server.py``) answers every call with the
smallest reply that fits its schema; the skill runs with no policy rules, so every
guardrail goes to the judge and every run completes (plan, each step, a judge call per
step, audit). Every request the engine sends is counted with the live tier's estimate
(characters / 4 of the messages), once with the schema sent as ``json_schema`` (OpenAI,
vLLM) and once inside the prompt as ``json_object`` (llama.cpp servers).
Baseline: the estimate of the skill's file and its dependencies' files, times the calls.
Target (issue 11): at most 50%.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Literal

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.engine import api  # noqa: E402
from agent.engine.api import resolve_skill  # noqa: E402
from agent.llm import OpenAIChatModel  # noqa: E402
from agent.llm._usage import estimate_tokens  # noqa: E402
from agent.skill.library import SkillSet  # noqa: E402
from agent.skill.policy import Policy  # noqa: E402

CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
SKILLS: dict[str, str | Path] = {
    "incident-response": "incident-response",
    "naming-conventions": CORPUS
    / "garden-v4/100-engineering/80-collaboration/naming-conventions/SKILL.md",
    "librarian": CORPUS / "garden-v3/00-foundation/librarian.md",
}
MODES: tuple[Literal["json_schema", "json_object"], ...] = ("json_schema", "json_object")


def _baseline_per_call(skillset: SkillSet) -> int:
    texts = [
        Path(s.path).read_text(encoding="utf-8")
        for s in (skillset.skill, *skillset.dependencies)
        if s.path
    ]
    return estimate_tokens("\n\n".join(texts))


async def _sent(
    skill: str | Path, url: str, mode: Literal["json_schema", "json_object"], db: str
) -> tuple[str, list[int]]:
    """The run's end status and the estimated tokens of each request it sent."""
    sizes: list[int] = []

    async def count(request: httpx.Request) -> None:
        body = json.loads(request.content)
        text = "\n".join(str(m.get("content") or "") for m in body["messages"])
        sizes.append(estimate_tokens(text))

    async with httpx.AsyncClient(event_hooks={"request": [count]}) as client:
        model = OpenAIChatModel(
            model="bench", base_url=url, api_key="bench", http_client=client, structured_mode=mode
        )
        inputs = {"request": "tidy the team's scripts"}
        result = await api.start(skill, inputs, model=model, db=db, policy=Policy())
    return result.status, sizes


async def main() -> None:
    loopback = str(Path(__file__).with_name("loopback_server.py"))
    server = await asyncio.create_subprocess_exec(
        sys.executable, loopback, "0", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{(await server.stdout.readline()).decode().strip()}/v1"
        print("prompt tokens of a run that goes to the end, against the whole skill in every call")
        with tempfile.TemporaryDirectory() as tmp:
            for name, ref in SKILLS.items():
                if isinstance(ref, Path) and not ref.exists():
                    print(f"  {name}: not found at {ref}; skipped")
                    continue
                per_call = _baseline_per_call(resolve_skill(ref))
                for mode in MODES:
                    status, sizes = await _sent(ref, url, mode, f"sqlite:///{tmp}/{name}-{mode}.db")
                    naive = per_call * len(sizes)
                    print(
                        f"  {name:19} {mode:11} {status:9} {len(sizes):2} calls: {sum(sizes):6} "
                        f"tokens vs naive {naive:6} ({sum(sizes) / naive:.0%}, target <= 50%); "
                        f"largest call {max(sizes)} vs {per_call}"
                    )
    finally:
        server.terminate()
        await server.wait()


if __name__ == "__main__":
    asyncio.run(main())
