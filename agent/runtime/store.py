"""Where runs live: the checkpointer, the per-thread lock and the thread registry.

One database holds everything about a run. ``db`` is ``None`` (a SQLite file
``skillweave.sqlite`` in the data directory), ``sqlite:///path`` or a plain
file path, or ``postgresql://...``. The data directory is ``data_dir`` if
given, else ``$SKILLWEAVE_HOME``, else ``~/.local/share/skillweave``.

Two processes resuming one thread would both run its side effects, so every
call that advances a thread holds :func:`thread_lock`, which fails at once
(:class:`~agent.errors.ThreadBusyError`) instead of waiting: SQLite uses an
OS file lock beside the database, Postgres a session advisory lock on a
dedicated connection. Both vanish when the holder dies, so a killed process
never leaves a thread locked.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent.errors import ConfigError, ThreadBusyError

if TYPE_CHECKING:
    import psycopg

DB_FILENAME = "skillweave.sqlite"
CONNECT_TIMEOUT_S = 5

_PG_READY: set[str] = set()
"""Postgres URLs whose tables this process already created (``setup()`` runs once)."""


@dataclass(frozen=True)
class Database:
    """A parsed ``db`` setting: which backend, and its file path or URL."""

    kind: Literal["sqlite", "postgres"]
    target: str

    def describe(self) -> str:
        """The location for messages, without a password."""
        if self.kind == "sqlite":
            return self.target
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(self.target)
        return (
            f"postgresql://{info.get('host', '')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        )


@dataclass(frozen=True)
class ThreadInfo:
    """A row of the thread registry: what ran in a thread and where it stands."""

    thread_id: str
    skill: str
    status: str
    started_at: str
    updated_at: str


def data_dir_path(data_dir: Path | None = None) -> Path:
    """The data directory (created if missing)."""
    if data_dir is None:
        env = os.environ.get("SKILLWEAVE_HOME")
        data_dir = Path(env) if env else Path.home() / ".local" / "share" / "skillweave"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data directory {data_dir}: {exc.strerror}") from None
    return data_dir


def resolve_db(db: str | None = None, *, data_dir: Path | None = None) -> Database:
    """Which database ``db`` means; a clear ``ConfigError`` for an unknown scheme."""
    if not db:
        return Database("sqlite", str(data_dir_path(data_dir) / DB_FILENAME))
    if db.startswith(("postgresql://", "postgres://")):
        return Database("postgres", db)
    if db.startswith("sqlite:///"):
        # SQLAlchemy's convention: sqlite:///rel/path, sqlite:////abs/path
        path = Path(db.removeprefix("sqlite:///"))
    elif "://" in db:
        scheme = db.split("://", 1)[0]
        raise ConfigError(
            f"unknown database scheme '{scheme}://': use sqlite:///path or postgresql://..."
        )
    else:
        path = Path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create folder for database {path}: {exc.strerror}") from None
    return Database("sqlite", str(path))


async def _pg_connect(database: Database) -> psycopg.AsyncConnection[dict[str, Any]]:
    """A dedicated autocommit connection; Postgres support is the optional 'postgres' extra."""
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:
        raise ConfigError(
            "Postgres support is not installed: pip install 'skillweave[postgres]'"
        ) from None
    try:
        return await psycopg.AsyncConnection.connect(
            database.target,
            autocommit=True,
            prepare_threshold=0,
            row_factory=dict_row,
            connect_timeout=CONNECT_TIMEOUT_S,
        )
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"cannot connect to Postgres at {database.describe()}: {reason}"
        ) from None


@asynccontextmanager
async def _sqlite_connect(database: Database) -> AsyncIterator[aiosqlite.Connection]:
    try:
        conn = await aiosqlite.connect(database.target, timeout=CONNECT_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot open SQLite database {database.target}: {exc}") from None
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def open_checkpointer(
    db: str | None = None, *, data_dir: Path | None = None
) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """A ready LangGraph checkpointer for ``db`` (tables created), closed on exit."""
    database = resolve_db(db, data_dir=data_dir)
    if database.kind == "sqlite":
        async with _sqlite_connect(database) as conn:
            saver = AsyncSqliteSaver(conn)
            try:
                await saver.setup()
            except sqlite3.Error as exc:
                raise ConfigError(f"cannot use SQLite database {database.target}: {exc}") from None
            yield saver
        return
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    pg = await _pg_connect(database)
    async with pg:
        pg_saver = AsyncPostgresSaver(conn=pg)
        if database.target not in _PG_READY:
            await pg_saver.setup()
            await _pg_registry_setup(pg)
            _PG_READY.add(database.target)
        yield pg_saver


def _lock_file(database: Database, thread_id: str) -> Path:
    """One lock file per (database, thread), in a folder beside the database file."""
    folder = Path(database.target + ".locks")
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(thread_id.encode("utf-8")).hexdigest()[:32]
    return folder / f"{digest}.lock"


def _busy(thread_id: str) -> ThreadBusyError:
    return ThreadBusyError(
        f"thread '{thread_id}' is being run or resumed by another process; "
        "wait for it to finish, then try again"
    )


@asynccontextmanager
async def thread_lock(
    db: str | None, thread_id: str, *, data_dir: Path | None = None
) -> AsyncIterator[None]:
    """Hold the exclusive lock on ``thread_id``; ``ThreadBusyError`` at once if taken."""
    database = resolve_db(db, data_dir=data_dir)
    if database.kind == "sqlite":
        with _lock_file(database, thread_id).open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _busy(thread_id) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    key = f"skillweave:{thread_id}"
    conn = await _pg_connect(database)
    async with conn:
        row = await (
            await conn.execute("SELECT pg_try_advisory_lock(hashtext(%s)) AS ok", (key,))
        ).fetchone()
        if not row or not row["ok"]:
            raise _busy(thread_id)
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


_REGISTRY_DDL = """
CREATE TABLE IF NOT EXISTS skillweave_threads (
    thread_id TEXT PRIMARY KEY,
    skill TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""
_UPSERT = """
INSERT INTO skillweave_threads (thread_id, skill, status, started_at, updated_at)
VALUES ({p}, {p}, {p}, {p}, {p})
ON CONFLICT (thread_id) DO UPDATE SET
    skill = excluded.skill, status = excluded.status, updated_at = excluded.updated_at
"""
_COLUMNS = "thread_id, skill, status, started_at, updated_at"


async def _pg_registry_setup(conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
    from psycopg.errors import UniqueViolation

    with suppress(UniqueViolation):  # another process created it at the same moment
        await conn.execute(_REGISTRY_DDL)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def record_thread(
    db: str | None,
    thread_id: str,
    *,
    skill: str,
    status: str,
    data_dir: Path | None = None,
) -> None:
    """Create or update the registry row of ``thread_id`` (``started_at`` is kept)."""
    database = resolve_db(db, data_dir=data_dir)
    now = _now()
    params = (thread_id, skill, status, now, now)
    if database.kind == "sqlite":
        async with _sqlite_connect(database) as conn:
            await conn.execute(_REGISTRY_DDL)
            await conn.execute(_UPSERT.format(p="?"), params)
            await conn.commit()
        return
    pg = await _pg_connect(database)
    async with pg:
        await _pg_registry_setup(pg)
        await pg.execute(_UPSERT.format(p="%s"), params)


async def _select(database: Database, where: str, params: tuple[Any, ...]) -> list[ThreadInfo]:
    sql = f"SELECT {_COLUMNS} FROM skillweave_threads {where}"
    if database.kind == "sqlite":
        async with _sqlite_connect(database) as conn:
            await conn.execute(_REGISTRY_DDL)
            async with conn.execute(sql.replace("%s", "?"), params) as cursor:
                rows = [tuple(r) for r in await cursor.fetchall()]
    else:
        pg = await _pg_connect(database)
        async with pg:
            await _pg_registry_setup(pg)
            found = await (await pg.execute(sql, params)).fetchall()
            rows = [tuple(r.values()) for r in found]
    return [ThreadInfo(*(str(v) for v in row)) for row in rows]


async def get_thread(
    db: str | None, thread_id: str, *, data_dir: Path | None = None
) -> ThreadInfo | None:
    """The registry row of ``thread_id``, or None if this database never ran it."""
    rows = await _select(resolve_db(db, data_dir=data_dir), "WHERE thread_id = %s", (thread_id,))
    return rows[0] if rows else None


async def list_threads(
    db: str | None = None, *, data_dir: Path | None = None, limit: int = 100
) -> list[ThreadInfo]:
    """The most recently updated threads first."""
    return await _select(
        resolve_db(db, data_dir=data_dir),
        "ORDER BY updated_at DESC, thread_id LIMIT %s",
        (limit,),
    )
