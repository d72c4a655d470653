"""Checkpointer factory, per-thread lock and thread registry, on SQLite and on Postgres."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph

from agent.engine.store import (
    DB_FILENAME,
    ThreadInfo,
    open_checkpointer,
    open_store,
    resolve_db,
)
from agent.errors import ConfigError, ThreadBusyError, UserError

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@asynccontextmanager
async def thread_lock(db: str, thread_id: str, *, data_dir: Path) -> AsyncIterator[None]:
    async with open_store(db, data_dir=data_dir) as store, store.lock(thread_id):
        yield


async def record_thread(
    db: str, thread_id: str, *, skill: str, status: str, data_dir: Path
) -> None:
    async with open_store(db, data_dir=data_dir) as store:
        if await store.get_run(thread_id) is None:
            await store.create_run(thread_id, skill=skill, recipe={}, principal=None)
        await store.update_run(thread_id, status=status)


async def get_thread(db: str, thread_id: str, *, data_dir: Path) -> ThreadInfo | None:
    async with open_store(db, data_dir=data_dir) as store:
        return await store.get_run(thread_id)


async def list_threads(db: str, *, data_dir: Path, limit: int) -> list[ThreadInfo]:
    async with open_store(db, data_dir=data_dir) as store:
        return await store.list_runs(limit=limit)


REPO = Path(__file__).resolve().parents[2]


def _postgres_reachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(PG_URL, connect_timeout=2).close()
    except psycopg.Error as exc:
        return f"Postgres at {PG_URL} is unreachable: {exc}"
    return None


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A run database of each kind (Postgres is shared, so tests use fresh thread ids)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.sqlite'}"
    if reason := _postgres_reachable():
        pytest.skip(reason)
    return PG_URL


def fresh() -> str:
    return f"test-{uuid.uuid4().hex}"


class _Count(TypedDict):
    n: int


def _graph() -> StateGraph[_Count]:
    graph = StateGraph(_Count)
    graph.add_node("inc", lambda s: {"n": s["n"] + 1})
    graph.add_edge(START, "inc")
    graph.add_edge("inc", END)
    return graph


# --- checkpointer ------------------------------------------------------------------------


async def test_checkpoints_persist_across_connections(db: str, tmp_path: Path) -> None:
    config: Any = {"configurable": {"thread_id": fresh()}}
    async with open_checkpointer(db, data_dir=tmp_path) as saver:
        await _graph().compile(checkpointer=saver).ainvoke({"n": 1}, config, durability="sync")
    async with open_checkpointer(db, data_dir=tmp_path) as saver:
        state = await _graph().compile(checkpointer=saver).aget_state(config)
    assert state.values == {"n": 2}


async def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    home = tmp_path / "not" / "yet" / "there"
    async with open_checkpointer(None, data_dir=home):
        pass
    assert (home / DB_FILENAME).is_file()


async def test_data_dir_comes_from_skillweave_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLWEAVE_HOME", str(tmp_path / "home"))
    assert resolve_db(None).target == str(tmp_path / "home" / DB_FILENAME)


def test_sqlite_urls_and_plain_paths_name_a_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "x.sqlite"
    assert resolve_db(f"sqlite:///{target}").target == str(target)
    assert resolve_db(str(target)).target == str(target)
    assert target.parent.is_dir()


def test_unknown_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown database scheme 'mysql://'"):
        resolve_db("mysql://localhost/db")


async def test_unreachable_postgres_is_a_clear_config_error() -> None:
    url = "postgresql://postgres:s3cret@127.0.0.1:1/nope"
    started = time.monotonic()
    with pytest.raises(ConfigError, match="cannot connect to Postgres") as caught:
        async with open_checkpointer(url):
            pass
    assert "s3cret" not in str(caught.value)
    assert time.monotonic() - started < 10


# --- per-thread lock ----------------------------------------------------------------------

_HOLDER = """
import asyncio, sys
from pathlib import Path
from agent.engine.store import open_store

async def main() -> None:
    store_cm = open_store(sys.argv[1], data_dir=Path(sys.argv[3]))
    async with store_cm as store, store.lock(sys.argv[2]):
        print("locked", flush=True)
        sys.stdin.readline()

asyncio.run(main())
"""


def _holder(db: str, thread_id: str, data_dir: Path) -> subprocess.Popen[str]:
    """Another process holding the lock on ``thread_id`` until its stdin closes or it dies."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_HOLDER), db, thread_id, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


async def test_lock_held_by_another_process_fails_fast_until_it_dies(
    db: str, tmp_path: Path
) -> None:
    thread_id = fresh()
    proc = _holder(db, thread_id, tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(ThreadBusyError, match=thread_id):
            async with thread_lock(db, thread_id, data_dir=tmp_path):
                pass
        assert time.monotonic() - started < 2
    finally:
        proc.kill()  # a crash, not a clean release: the OS/server must free the lock
        proc.wait()
    async with thread_lock(db, thread_id, data_dir=tmp_path):
        pass


async def test_lock_is_released_on_exit(db: str, tmp_path: Path) -> None:
    thread_id = fresh()
    async with thread_lock(db, thread_id, data_dir=tmp_path):
        pass
    async with thread_lock(db, thread_id, data_dir=tmp_path):
        pass


async def test_lock_is_exclusive_even_within_one_process(db: str, tmp_path: Path) -> None:
    thread_id = fresh()
    async with thread_lock(db, thread_id, data_dir=tmp_path):
        with pytest.raises(ThreadBusyError):
            async with thread_lock(db, thread_id, data_dir=tmp_path):
                pass


async def test_different_threads_do_not_contend(db: str, tmp_path: Path) -> None:
    async with (
        thread_lock(db, fresh(), data_dir=tmp_path),
        thread_lock(db, fresh(), data_dir=tmp_path),
    ):
        pass


def test_thread_busy_is_a_user_error() -> None:
    assert issubclass(ThreadBusyError, UserError)


# --- thread registry ----------------------------------------------------------------------


async def test_recorded_thread_can_be_read_back(db: str, tmp_path: Path) -> None:
    thread_id = fresh()
    await record_thread(
        db, thread_id, skill="incident-response", status="running", data_dir=tmp_path
    )
    info = await get_thread(db, thread_id, data_dir=tmp_path)
    assert info is not None
    assert (info.thread_id, info.skill, info.status) == (thread_id, "incident-response", "running")


async def test_updating_a_thread_keeps_its_start_time(db: str, tmp_path: Path) -> None:
    thread_id = fresh()
    await record_thread(db, thread_id, skill="s", status="running", data_dir=tmp_path)
    first = await get_thread(db, thread_id, data_dir=tmp_path)
    await record_thread(db, thread_id, skill="s", status="completed", data_dir=tmp_path)
    second = await get_thread(db, thread_id, data_dir=tmp_path)
    assert first is not None
    assert second is not None
    assert second.status == "completed"
    assert second.started_at == first.started_at
    assert second.updated_at >= first.updated_at


async def test_unknown_thread_is_none(db: str, tmp_path: Path) -> None:
    assert await get_thread(db, fresh(), data_dir=tmp_path) is None


async def test_threads_are_listed_most_recent_first(db: str, tmp_path: Path) -> None:
    older, newer = fresh(), fresh()
    await record_thread(db, older, skill="s", status="completed", data_dir=tmp_path)
    await record_thread(db, newer, skill="s", status="paused", data_dir=tmp_path)
    listed = [t.thread_id for t in await list_threads(db, data_dir=tmp_path, limit=1000)]
    assert listed.index(newer) < listed.index(older)


# --- SQLite writes ----------------------------------------------------------------------


async def test_a_journal_row_is_committed_before_the_write_returns(tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    async with open_store(f"sqlite:///{db}") as store:
        await store.journal_put("t1", "k", kind="call", purpose="p", value={"a": 1})
        other = sqlite3.connect(db)
        try:
            rows = other.execute("SELECT key FROM skillweave_journal").fetchall()
        finally:
            other.close()
    assert rows == [("k",)]


async def test_a_write_waits_while_another_process_holds_the_sqlite_lock(
    tmp_path: Path,
) -> None:
    db = tmp_path / "runs.sqlite"
    async with open_store(f"sqlite:///{db}") as store:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # holds the write lock, as a busy writer would
        write = asyncio.ensure_future(
            store.journal_put("t1", "k", kind="call", purpose="p", value={"a": 1})
        )
        await asyncio.sleep(0.2)
        assert not write.done()  # waiting, not failed and not blocking the loop
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(write, 10)
        assert await store.journal_get("t1", "k") == {"a": 1}
