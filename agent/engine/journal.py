"""Exactly-once model and tool calls: an idempotency ledger in the run database.

Why a ledger of our own rather than LangGraph ``@task``s inside the nodes: the
tool calls that matter happen inside the model layer's tool loop, where a task
boundary cannot reach without the model layer knowing LangGraph; the ledger is
keyed by the node execution's LangGraph task id (the same after a kill or an
interrupt, new on a revision), so it replays exactly what a re-run node would
repeat; its rows can be counted (a scripted model's place in its script on
another machine) and read by tests; and the outbox of effects lives beside it,
in the same database as the checkpoints.

A node re-run after a kill gets the recorded model response back and its tools
are not called again. Side-effecting tools also dedupe by content through
:class:`Effects` (a revised step that files the same backlog item files it once).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from langgraph.config import get_stream_writer

from agent.engine.store import RunStore
from agent.errors import ModelError
from agent.llm.base import ModelRequest, ModelResponse, T

MODEL_KINDS = ("call", "fault")
"""Journal kinds that used up a scripted reply: a first round received, or a fault."""


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _writer() -> Callable[[Any], None]:
    """The run's live stream, to announce tool calls (a no-op outside a graph run)."""
    try:
        return get_stream_writer()
    except RuntimeError:
        return lambda _event: None


class _Ledger:
    """The thread's journal rows, with the set of their keys read once per driver.

    Only the driver holding the thread's lock writes its journal, so keys missing
    from the set are missing from the table: a fresh call costs no lookup.
    """

    def __init__(self, store: RunStore, thread_id: str, keys: set[str]) -> None:
        self.store = store
        self.thread_id = thread_id
        self.keys = keys

    async def get(self, key: str) -> Any | None:
        if key not in self.keys:
            return None
        return await self.store.journal_get(self.thread_id, key)

    async def put(self, key: str, *, kind: str, purpose: str, value: Any) -> None:
        await self.store.journal_put(self.thread_id, key, kind=kind, purpose=purpose, value=value)
        self.keys.add(key)


async def open_ledger(store: RunStore, thread_id: str, *, new: bool = False) -> _Ledger:
    """The journal of ``thread_id`` for the driver that holds its lock.

    ``new``: the thread was registered by this very call, so it has no rows to read.
    """
    return _Ledger(store, thread_id, set() if new else await store.journal_keys(thread_id))


class _Rounds:
    """The rounds of one model call in the ledger (see :class:`agent.llm.base.Rounds`)."""

    def __init__(self, ledger: _Ledger, key: str, purpose: str) -> None:
        self.ledger, self.key, self.purpose = ledger, key, purpose

    async def replay(self, index: int) -> dict[str, Any] | None:
        found = await self.ledger.get(f"{self.key}|round|{index}")
        return dict(found) if found is not None else None

    async def record(self, index: int, value: dict[str, Any]) -> None:
        kind = "call" if index == 0 else "round"
        await self.ledger.put(
            f"{self.key}|round|{index}", kind=kind, purpose=self.purpose, value=value
        )


@dataclass
class _Call:
    """The model call a tool call belongs to: its key, the live stream, repeats seen so far."""

    key: str
    announce: Callable[[Any], None]
    seen: dict[str, int] = field(default_factory=dict)


_CALL: ContextVar[_Call | None] = ContextVar("skillweave_model_call", default=None)


class StoreJournal:
    """The graph's :class:`~agent.graph._context.Journal`, backed by the run store.

    The run's tools are wrapped once (:meth:`wrap`); a wrapped tool finds the model
    call it serves through a context variable, so no wrapper is built per call.
    """

    def __init__(self, ledger: _Ledger) -> None:
        self.ledger = ledger
        self._faults = 0

    async def model_call(
        self,
        key: str,
        request: ModelRequest[T],
        call: Callable[[ModelRequest[T]], Awaitable[ModelResponse[T]]],
    ) -> ModelResponse[T]:
        """The call, its rounds and tool calls journaled: a re-run replays what was recorded.

        Replaying is the model layer's own loop fed from the journal (no server is
        asked for a round it answered, no tool runs again), so no whole response is kept.
        """
        rounds = _Rounds(self.ledger, key, request.purpose)
        token = _CALL.set(_Call(key, _writer()))
        try:
            response = await call(replace(request, rounds=rounds))
        except ModelError as exc:
            self._faults += 1
            await self.ledger.put(
                f"{key}|fault|{self._faults}|{id(exc)}",
                kind="fault",
                purpose=request.purpose,
                value={"error": type(exc).__name__, "message": str(exc)[:300]},
            )
            raise
        finally:
            _CALL.reset(token)
        return response

    def wrap(self, tools: Sequence[BaseTool]) -> tuple[BaseTool, ...]:
        """The run's tools, each journaled inside whichever model call uses it."""
        return tuple(self._journaled(t) for t in tools)

    def _journaled(self, inner: BaseTool) -> BaseTool:
        """``inner`` whose calls within one model call run once, replayed on a re-run."""

        async def run(**args: Any) -> str:
            current = _CALL.get()
            if current is None:  # called outside a journaled model call
                result = await inner.ainvoke(args)
                return result if isinstance(result, str) else json.dumps(result, default=str)
            digest = _digest(args)
            slot = f"{inner.name}|{digest}"
            current.seen[slot] = current.seen.get(slot, 0) + 1
            call_key = f"{current.key}|tool|{slot}|{current.seen[slot]}"
            found = await self.ledger.get(call_key)
            if found is not None:
                return str(found["result"])
            step = current.key.rsplit("|", 1)[-1].rsplit(":", 1)[-1]
            current.announce({"event": "tool_call", "tool": inner.name, "step": step})
            result = await inner.ainvoke(args)
            text = result if isinstance(result, str) else json.dumps(result, default=str)
            await self.ledger.put(call_key, kind="tool", purpose=inner.name, value={"result": text})
            return text

        return StructuredTool.from_function(
            coroutine=run,
            name=inner.name,
            description=inner.description,
            args_schema=inner.args_schema,
        )


class StoreEffects:
    """Effects a tool causes, recorded once per thread by a content key (see ``ToolContext``).

    Each node execution (attempt) that asks for an effect is recorded beside it
    (``effect-by`` rows), so the transcript can tell an effect whose step completed
    from one left behind by a step that failed or was sent back (:func:`effect_records`).
    """

    def __init__(self, ledger: _Ledger) -> None:
        self.ledger = ledger

    async def once(
        self, kind: str, key: str, do: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """``do()``'s record the first time ``key`` is seen; the same record afterwards."""
        ledger_key = f"effect|{kind}|{key}"
        found = await self.ledger.get(ledger_key)
        if found is None:
            found = await do()
            await self.ledger.put(ledger_key, kind="effect", purpose=kind, value=found)
        await self._by(ledger_key)
        return dict(found)

    async def _by(self, ledger_key: str) -> None:
        """Record which node execution asked for the effect (once per execution)."""
        current = _CALL.get()
        if current is None:
            return
        attempt, purpose = current.key.rsplit("|", 1)
        by_key = f"{ledger_key}|by|{_digest(attempt)}"
        if by_key not in self.ledger.keys:
            await self.ledger.put(
                by_key, kind="effect-by", purpose=purpose, value={"attempt": attempt}
            )


def effect_records(
    entries: Sequence[dict[str, Any]], completed: set[str], pending: set[str]
) -> list[dict[str, Any]]:
    """Every effect of a run with its state, from its journal ``entries``.

    ``completed`` holds the node executions (``checkpoint_ns|task_id``) whose step
    results the run accepted, ``pending`` those whose result still waits (for the
    guard or a human). An effect is ``done`` when an accepted execution asked for it,
    ``pending`` when a waiting one did, else ``not completed``: its step failed or
    was superseded by a revision that did not repeat it.
    """
    by: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        if e["kind"] == "effect-by":
            by.setdefault(e["key"].rsplit("|by|", 1)[0], []).append(e)
    records = []
    for e in entries:
        if e["kind"] != "effect":
            continue
        askers = by.get(e["key"], [])
        attempts = {a["value"]["attempt"] for a in askers}
        state = (
            "done" if attempts & completed else "pending" if attempts & pending else "not completed"
        )
        steps = list(dict.fromkeys(a["purpose"] for a in askers))
        records.append({"kind": e["purpose"], "state": state, "steps": steps, **e["value"]})
    return records
