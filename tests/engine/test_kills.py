"""No stranded runs and effects once: a kill at every superstep boundary and inside each node.

A "kill" here is an exception no layer catches, raised where a process could die:
before each checkpoint is written (after the node's writes were saved), after each
batch of writes, and inside each model call. What the database holds afterwards is
exactly what a killed process would leave; a fresh call then continues the run.
Each continued run must complete with the same model calls, the same backlog items
and the same status updates as an uninterrupted run: nothing answered is asked
again, nothing done is done again.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.engine import api
from agent.engine.answers import match_answers
from agent.engine.store import open_store
from agent.llm.base import ModelRequest, ModelResponse
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"
ANSWERS = yaml.safe_load((EXAMPLE / "answers.yaml").read_text(encoding="utf-8"))


_RECORDS = ("call", "round", "tool")
"""Journal records of a model round (the first one: "call") or a tool call."""


class Killed(BaseException):
    """The process died here (not an error any layer handles)."""


@dataclass
class Counting:
    """The example's scripted model; counts answered calls, can die before one."""

    inner: ScriptedModel = field(
        default_factory=lambda: ScriptedModel.from_file(EXAMPLE / "script.yaml")
    )
    answered: Counter[str] = field(default_factory=Counter)
    die_before: int | None = None
    """Die at this call (0-based, over the whole run), before the model sees it."""
    seen: int = 0
    name: str = "scripted:script.yaml"

    async def generate(self, request: ModelRequest[Any]) -> ModelResponse[Any]:
        index, self.seen = self.seen, self.seen + 1
        if index == self.die_before:
            raise Killed(f"model call {index}")
        before = self.inner.remaining().get(request.purpose, 0)
        try:
            return await self.inner.generate(request)
        finally:
            # A reply counts as answered once it leaves the script (a replay takes none).
            self.answered[request.purpose] += before - self.inner.remaining().get(
                request.purpose, 0
            )

    async def aclose(self) -> None:
        """Nothing to release."""


class Dying:
    """Dies at the n-th durable write of one kind, as a process killed right there would.

    ``checkpoint``: before a checkpoint is written (the node's writes are saved);
    ``writes``: after a node's writes are saved; ``journal-before``: before a tool
    call is recorded (it ran: its effect happened; a model reply received but not yet
    recorded is rightly asked again, so that window is not a kill point here);
    ``journal-after``: after it was recorded, before the node's writes are saved.
    """

    def __init__(self, store: Any, *, where: str, n: int) -> None:
        self.store, self.saver, self.where, self.n, self.count = store, store.saver, where, n, 0
        self._aput, self._aput_writes = self.saver.aput, self.saver.aput_writes
        self._journal_put = store.journal_put
        self.fired = False

    async def aput(self, *args: Any, **kwargs: Any) -> Any:
        if self.where == "checkpoint":
            self._tick()
        return await self._aput(*args, **kwargs)

    async def aput_writes(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._aput_writes(*args, **kwargs)
        if self.where == "writes":
            self._tick()
        return result

    async def journal_put(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("kind") == "tool" and self.where == "journal-before":
            self._tick()
        result = await self._journal_put(*args, **kwargs)
        if kwargs.get("kind") in _RECORDS and self.where == "journal-after":
            self._tick()
        return result

    def _tick(self) -> None:
        self.count += 1
        if self.count == self.n:
            self.fired = True
            raise Killed(f"{self.where} {self.n}")

    def __enter__(self) -> Dying:
        self.saver.aput, self.saver.aput_writes = self.aput, self.aput_writes
        self.store.journal_put = self.journal_put
        return self

    def __exit__(self, *exc: object) -> None:
        self.saver.aput, self.saver.aput_writes = self._aput, self._aput_writes
        self.store.journal_put = self._journal_put


async def _drive(
    seed: SkillSet, db: str, home: Path, model: Counting, dying: tuple[str, int] | None
) -> api.RunResult:
    """Start, answer from the example's answers, and continue after every kill."""
    kwargs: dict[str, Any] = {"model": model, "db": db, "data_dir": home}
    async with open_store(db, data_dir=home) as store:
        hook = Dying(store, where=dying[0], n=dying[1]) if dying else None
        if hook:
            hook.__enter__()
        try:
            return await _until_done(seed, db, home, kwargs), bool(hook and hook.fired)
        finally:
            if hook:
                hook.__exit__()


async def _until_done(seed: SkillSet, db: str, home: Path, kwargs: dict[str, Any]) -> api.RunResult:
    try:
        result: api.RunResult | None = await api.start(
            seed, {"incident": "5xx"}, "t", evidence=EXAMPLE, **kwargs
        )
    except Killed:
        result = None
    for _ in range(20):
        if result is not None and result.status != "paused":
            return result
        if result is None:
            result = await api.get_status("t", db=db, data_dir=home)
        answers = None
        if result.status == "paused":
            answers = match_answers(result.questions, ANSWERS, set())
        try:
            result = await api.resume("t", answers, **kwargs)
        except Killed:
            result = None
    raise AssertionError("the run never ended")


def _effects(home: Path) -> tuple[list[str], list[str]]:
    backlog = home / "backlog.jsonl"
    items = [json.loads(line)["title"] for line in backlog.read_text().splitlines()]
    status = home / "status" / "t.jsonl"
    updates = [json.loads(line)["text"] for line in status.read_text().splitlines()]
    return items, updates


@pytest.fixture(scope="module")
def baseline(seed: SkillSet, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What an uninterrupted run does, and how many writes and checkpoints it takes."""
    import asyncio

    home = tmp_path_factory.mktemp("baseline")
    db = f"sqlite:///{home / 'runs.sqlite'}"
    model = Counting()
    counts = {"checkpoint": 0, "writes": 0, "journal-before": 0, "journal-after": 0}

    async def run() -> api.RunResult:
        async with open_store(db, data_dir=home) as store:
            saver = store.saver
            aput, aput_writes = saver.aput, saver.aput_writes

            async def put(*a: Any, **k: Any) -> Any:
                counts["checkpoint"] += 1
                return await aput(*a, **k)

            async def writes(*a: Any, **k: Any) -> Any:
                counts["writes"] += 1
                return await aput_writes(*a, **k)

            journal_put = store.journal_put

            async def journal(*a: Any, **k: Any) -> Any:
                counts["journal-before"] += k.get("kind") == "tool"
                counts["journal-after"] += k.get("kind") in _RECORDS
                return await journal_put(*a, **k)

            saver.aput, saver.aput_writes = put, writes
            store.journal_put = journal  # type: ignore[method-assign]
            result, _ = await _drive(seed, db, home, model, None)
            return result

    result = asyncio.run(run())
    assert result.status == "completed"
    items, updates = _effects(home)
    return {"calls": model.answered, "items": items, "updates": updates, **counts}


def _check(result: api.RunResult, model: Counting, home: Path, baseline: dict[str, Any]) -> None:
    assert result.status == "completed", result
    assert model.answered == baseline["calls"]  # no answered model call was made again
    assert _effects(home) == (baseline["items"], baseline["updates"])


@pytest.mark.slow
@pytest.mark.parametrize("where", ["checkpoint", "writes"])
async def test_a_kill_at_every_superstep_boundary_leaves_a_run_that_finishes_the_same(
    where: str, seed: SkillSet, tmp_path: Path, baseline: dict[str, Any]
) -> None:
    await _kill_everywhere(where, seed, tmp_path, baseline)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["journal-before", "journal-after"])
async def test_a_kill_after_any_answered_call_or_tool_effect_repeats_neither(
    where: str, seed: SkillSet, tmp_path: Path, baseline: dict[str, Any]
) -> None:
    await _kill_everywhere(where, seed, tmp_path, baseline)


async def _kill_everywhere(
    where: str, seed: SkillSet, tmp_path: Path, baseline: dict[str, Any]
) -> None:
    assert baseline[where] > 10
    for n in range(1, baseline[where] + 1):
        home = tmp_path / f"{where}-{n}"
        model = Counting()
        db = f"sqlite:///{home / 'runs.sqlite'}"
        result, fired = await _drive(seed, db, home, model, (where, n))
        assert fired, f"{where} {n}: the kill never happened"
        _check(result, model, home, baseline)


@pytest.mark.slow
async def test_a_kill_inside_every_model_call_leaves_a_run_that_finishes_the_same(
    seed: SkillSet, tmp_path: Path, baseline: dict[str, Any]
) -> None:
    calls = sum(baseline["calls"].values())
    for index in range(calls):
        home = tmp_path / f"call-{index}"
        model = Counting(die_before=index)
        result, _ = await _drive(seed, f"sqlite:///{home / 'runs.sqlite'}", home, model, None)
        _check(result, model, home, baseline)
