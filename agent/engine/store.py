"""Where runs live: one run database holding checkpoints, recipes, the journal and the outbox.

``db`` is ``None`` (a SQLite file ``skillweave.sqlite`` in the data directory),
``sqlite:///path`` or a plain file path, or ``postgresql://...``. The data
directory is ``data_dir`` if given, else ``$SKILLWEAVE_HOME``, else
``~/.local/share/skillweave``.

A process shares one :class:`RunStore` per database among all the runs it
drives at once (:func:`open_store` counts its users): SQLite gets one connection for
the checkpointer and one for our tables' writes, in WAL mode with a busy timeout, so
many runs and several processes write without "database is locked"; Postgres gets a
connection pool, so 200 runs do not open 200 connections. Tables are created on first use.

Two drivers advancing one thread would both run its side effects, so every call
that advances a thread holds :meth:`RunStore.lock`, which fails at once
(:class:`~agent.errors.ThreadBusyError`) instead of waiting: an in-process set
plus an OS file lock (SQLite) or a session advisory lock on one shared
connection (Postgres). Both vanish when the holder dies.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
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

from agent._data import data_dir_path
from agent.errors import ConfigError, ThreadBusyError, UnknownThreadError, UserError

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import AsyncConnectionPool

DB_FILENAME = "skillweave.sqlite"
CONNECT_TIMEOUT_S = 5
BUSY_TIMEOUT_MS = 30_000
POOL_SIZE = 10
SCHEMA_VERSION = "2"


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
    """A row of the run registry: what ran in a thread, for whom, and where it stands."""

    thread_id: str
    skill: str
    status: str
    started_at: str
    updated_at: str
    principal: str | None = None
    recipe: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


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
    return Database("sqlite", str(path.resolve()))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_DDL = (
    """CREATE TABLE IF NOT EXISTS skillweave_meta (
    key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS skillweave_runs (
    thread_id TEXT PRIMARY KEY, skill TEXT NOT NULL, status TEXT NOT NULL,
    principal TEXT, recipe TEXT NOT NULL, error TEXT,
    started_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS skillweave_journal (
    thread_id TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, purpose TEXT NOT NULL,
    value TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (thread_id, key))""",
    """CREATE TABLE IF NOT EXISTS skillweave_outbox (
    thread_id TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT, result TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (thread_id, key))""",
)
_RUN_COLUMNS = "thread_id, skill, status, started_at, updated_at, principal, recipe, error"
_OLD_TABLE = "skillweave_threads"
"""The registry of skillweave 0.1, which kept no recipe."""


def _decode(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value else None


def _info(row: tuple[Any, ...]) -> ThreadInfo:
    tid, skill, status, started, updated, principal, recipe, error = row
    return ThreadInfo(
        str(tid),
        str(skill),
        str(status),
        str(started),
        str(updated),
        principal,
        _decode(recipe),
        _decode(error),
    )


class RunStore:
    """One run database as the engine uses it; shared by every run of a process."""

    def __init__(self, database: Database, saver: BaseCheckpointSaver[Any]) -> None:
        self.database = database
        self.saver = saver
        self._held: set[str] = set()

    # --- SQL, per backend -------------------------------------------------------------

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        raise NotImplementedError

    async def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def _setup(self) -> None:
        old = await self._fetch(
            "SELECT value FROM skillweave_meta WHERE key = %s", ("schema_version",)
        )
        if old and old[0][0] != SCHEMA_VERSION:
            raise ConfigError(
                f"run database {self.database.describe()} has schema version {old[0][0]}; "
                f"this skillweave uses {SCHEMA_VERSION}: use a matching skillweave, or a new --db"
            )
        await self._execute(
            "INSERT INTO skillweave_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
            ("schema_version", SCHEMA_VERSION),
        )

    @asynccontextmanager
    async def _os_lock(self, thread_id: str) -> AsyncIterator[None]:
        raise NotImplementedError
        yield  # pragma: no cover

    async def close(self) -> None:
        """Release the connections."""

    # --- locks ------------------------------------------------------------------------

    @asynccontextmanager
    async def lock(self, thread_id: str) -> AsyncIterator[None]:
        """Hold the exclusive lock on ``thread_id``; ``ThreadBusyError`` at once if taken."""
        if thread_id in self._held:
            raise _busy(thread_id)
        self._held.add(thread_id)
        try:
            async with self._os_lock(thread_id):
                yield
        finally:
            self._held.discard(thread_id)

    # --- the run registry -------------------------------------------------------------

    async def create_run(
        self, thread_id: str, *, skill: str, recipe: dict[str, Any], principal: str | None
    ) -> None:
        """Register a new run with its recipe; an existing thread id is a user error."""
        now = _now()
        try:
            await self._execute(
                "INSERT INTO skillweave_runs (thread_id, skill, status, principal, recipe, "
                "started_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (thread_id, skill, "running", principal, json.dumps(recipe), now, now),
            )
        except Exception as exc:
            if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
                raise UserError(
                    f"thread '{thread_id}' already exists; answer or resume it instead"
                ) from None
            raise

    async def update_run(
        self,
        thread_id: str,
        *,
        status: str,
        error: dict[str, Any] | None = None,
        recipe: dict[str, Any] | None = None,
    ) -> None:
        """Record where a run stands (and why it failed, when it did)."""
        sets = "status = %s, error = %s, updated_at = %s"
        params: tuple[Any, ...] = (status, json.dumps(error) if error else None, _now())
        if recipe is not None:
            sets += ", recipe = %s"
            params += (json.dumps(recipe),)
        await self._execute(
            f"UPDATE skillweave_runs SET {sets} WHERE thread_id = %s", (*params, thread_id)
        )

    async def get_run(self, thread_id: str) -> ThreadInfo | None:
        """The registry row of ``thread_id``, or None when this database never ran it."""
        rows = await self._fetch(
            f"SELECT {_RUN_COLUMNS} FROM skillweave_runs WHERE thread_id = %s", (thread_id,)
        )
        return _info(rows[0]) if rows else None

    async def require_run(self, thread_id: str) -> ThreadInfo:
        """The registry row, or an error that names the database (and an older version)."""
        info = await self.get_run(thread_id)
        if info is not None:
            return info
        if await self._in_old_registry(thread_id):
            raise UserError(
                f"run '{thread_id}' in {self.database.describe()} was started by an older "
                "skillweave that kept no recipe; finish it with that version, or start anew"
            )
        raise UnknownThreadError(
            f"no run with thread id '{thread_id}' in the run database {self.database.describe()}"
        )

    async def _in_old_registry(self, thread_id: str) -> bool:
        try:
            rows = await self._fetch(
                f"SELECT thread_id FROM {_OLD_TABLE} WHERE thread_id = %s", (thread_id,)
            )
        except Exception:  # no such table: not an old database
            return False
        return bool(rows)

    async def list_runs(
        self, *, status: str | None = None, principal: str | None = None, limit: int = 100
    ) -> list[ThreadInfo]:
        """The most recently updated runs first, optionally one status or one principal's."""
        where, params = [], []
        if status:
            where.append("status = %s")
            params.append(status)
        if principal is not None:
            where.append("principal = %s")
            params.append(principal)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        rows = await self._fetch(
            f"SELECT {_RUN_COLUMNS} FROM skillweave_runs {clause}"
            "ORDER BY updated_at DESC, thread_id LIMIT %s",
            (*params, limit),
        )
        return [_info(r) for r in rows]

    # --- the journal: model calls and tool calls that already happened ------------------

    async def journal_get(self, thread_id: str, key: str) -> Any | None:
        """What was recorded under ``key`` for this thread, or None."""
        rows = await self._fetch(
            "SELECT value FROM skillweave_journal WHERE thread_id = %s AND key = %s",
            (thread_id, key),
        )
        return json.loads(rows[0][0]) if rows else None

    async def journal_put(
        self, thread_id: str, key: str, *, kind: str, purpose: str, value: Any
    ) -> None:
        """Record a call's result; a second record under the same key keeps the first."""
        await self._execute(
            "INSERT INTO skillweave_journal (thread_id, key, kind, purpose, value, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (thread_id, key) DO NOTHING",
            (thread_id, key, kind, purpose, json.dumps(value, default=str), _now()),
        )

    async def journal_keys(self, thread_id: str) -> set[str]:
        """Every key recorded for a thread (what a driver may find already done)."""
        rows = await self._fetch(
            "SELECT key FROM skillweave_journal WHERE thread_id = %s", (thread_id,)
        )
        return {str(r[0]) for r in rows}

    async def journal_counts(self, thread_id: str, kinds: tuple[str, ...]) -> dict[str, int]:
        """Recorded entries of ``kinds`` per purpose (a scripted model's place in its script)."""
        marks = ", ".join("%s" for _ in kinds)
        rows = await self._fetch(
            f"SELECT purpose, COUNT(*) FROM skillweave_journal WHERE thread_id = %s "
            f"AND kind IN ({marks}) GROUP BY purpose",
            (thread_id, *kinds),
        )
        return {str(p): int(n) for p, n in rows}

    async def journal_entries(self, thread_id: str) -> list[dict[str, Any]]:
        """Every journal entry of a thread, oldest first (tests and diagnostics)."""
        rows = await self._fetch(
            "SELECT key, kind, purpose, value FROM skillweave_journal WHERE thread_id = %s "
            "ORDER BY created_at, key",
            (thread_id,),
        )
        return [
            {"key": k, "kind": kind, "purpose": p, "value": json.loads(v)} for k, kind, p, v in rows
        ]

    # --- the outbox: effects that leave the run, once -----------------------------------

    async def outbox_add(self, thread_id: str, key: str, kind: str, payload: Any) -> bool:
        """Queue an effect; False when one with that key was queued already."""
        now = _now()
        before = await self.outbox_get(thread_id, key)
        if before is not None:
            return False
        await self._execute(
            "INSERT INTO skillweave_outbox (thread_id, key, kind, payload, status, attempts, "
            "created_at, updated_at) VALUES (%s, %s, %s, %s, 'pending', 0, %s, %s) "
            "ON CONFLICT (thread_id, key) DO NOTHING",
            (thread_id, key, kind, json.dumps(payload, default=str), now, now),
        )
        return True

    async def outbox_get(self, thread_id: str, key: str) -> dict[str, Any] | None:
        """One outbox entry."""
        rows = await self._fetch(
            "SELECT key, kind, payload, status, attempts, error, result FROM skillweave_outbox "
            "WHERE thread_id = %s AND key = %s",
            (thread_id, key),
        )
        return _outbox_row(rows[0]) if rows else None

    async def outbox_list(self, thread_id: str, *, pending: bool = False) -> list[dict[str, Any]]:
        """A thread's outbox in the order the effects were queued."""
        where = " AND status <> 'delivered'" if pending else ""
        rows = await self._fetch(
            "SELECT key, kind, payload, status, attempts, error, result FROM skillweave_outbox "
            f"WHERE thread_id = %s{where} ORDER BY created_at, key",
            (thread_id,),
        )
        return [_outbox_row(r) for r in rows]

    async def outbox_mark(
        self, thread_id: str, key: str, *, error: str | None, result: Any = None
    ) -> None:
        """Record one delivery attempt."""
        await self._execute(
            "UPDATE skillweave_outbox SET status = %s, attempts = attempts + 1, error = %s, "
            "result = %s, updated_at = %s WHERE thread_id = %s AND key = %s",
            (
                "delivered" if error is None else "failed",
                error,
                json.dumps(result, default=str) if result is not None else None,
                _now(),
                thread_id,
                key,
            ),
        )


def _outbox_row(row: tuple[Any, ...]) -> dict[str, Any]:
    key, kind, payload, status, attempts, error, result = row
    return {
        "key": key,
        "kind": kind,
        "payload": json.loads(payload),
        "status": status,
        "attempts": int(attempts),
        "error": error,
        "result": _decode(result),
    }


def _busy(thread_id: str) -> ThreadBusyError:
    return ThreadBusyError(
        f"thread '{thread_id}' is being run or resumed by another driver right now; "
        "wait for it to finish, then try again"
    )


class _SqliteStore(RunStore):
    """The checkpointer's aiosqlite connection, and a direct one for our tables' writes.

    A journal row or a registry update is one short autocommitted statement (tens
    of microseconds in WAL mode, no fsync at ``synchronous=NORMAL``), while a trip to
    aiosqlite's thread and back costs 0.1-0.2 ms of the run's time on every model
    call. So writes run on the event loop's thread through a connection that never
    waits for SQLite's lock (``busy_timeout`` 0) and never checkpoints the WAL; when
    another process holds the lock, the write goes to aiosqlite's thread, which
    waits. Writes hold the checkpointer's lock, so within a process they never meet
    its open transactions; reads take one trip on the checkpointer's connection.
    """

    def __init__(
        self, database: Database, conn: aiosqlite.Connection, direct: sqlite3.Connection
    ) -> None:
        self._saver = AsyncSqliteSaver(conn)
        super().__init__(database, self._saver)
        self._conn = conn
        self._direct = direct

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        sql = sql.replace("%s", "?")
        async with self._saver.lock:
            try:
                self._direct.execute(sql, params)
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
            await self._conn.execute(sql, params)
            await self._conn.commit()

    async def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        rows = await self._conn.execute_fetchall(sql.replace("%s", "?"), params)
        return [tuple(r) for r in rows]

    async def _setup(self) -> None:
        await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await self._conn.execute("PRAGMA journal_mode = WAL")
        await self._conn.execute("PRAGMA synchronous = NORMAL")
        self._direct.execute("PRAGMA busy_timeout = 0")
        self._direct.execute("PRAGMA synchronous = NORMAL")
        self._direct.execute("PRAGMA wal_autocheckpoint = 0")
        await self._saver.setup()
        for ddl in _DDL:
            await self._execute(ddl)
        await super()._setup()

    @asynccontextmanager
    async def _os_lock(self, thread_id: str) -> AsyncIterator[None]:
        folder = Path(self.database.target + ".locks")
        folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a local mkdir, once
        digest = hashlib.sha256(thread_id.encode("utf-8")).hexdigest()[:32]
        with (folder / f"{digest}.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _busy(thread_id) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    async def close(self) -> None:
        """Close both connections."""
        self._direct.close()
        await self._conn.close()


class _PostgresStore(RunStore):
    """A connection pool for checkpoints and tables, one session for the advisory locks."""

    def __init__(
        self,
        database: Database,
        pool: AsyncConnectionPool[Any],
        lock_conn: psycopg.AsyncConnection[Any],
    ) -> None:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        self._pg_saver = AsyncPostgresSaver(conn=pool)
        super().__init__(database, self._pg_saver)
        self._pool = pool
        self._lock_conn = lock_conn
        self._lock_guard = asyncio.Lock()

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(sql, params)

    async def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return [
                tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in await cur.fetchall()
            ]

    async def _setup(self) -> None:
        from psycopg.errors import UniqueViolation

        with suppress(UniqueViolation):  # another process created them at the same moment
            await self._pg_saver.setup()
        for ddl in _DDL:
            with suppress(UniqueViolation):
                await self._execute(ddl)
        await super()._setup()

    async def _advisory(self, fn: str, thread_id: str) -> bool:
        async with self._lock_guard:
            cur = await self._lock_conn.execute(
                f"SELECT {fn}(hashtext(%s)) AS ok", (f"skillweave:{thread_id}",)
            )
            row = await cur.fetchone()
        return bool(row and (row["ok"] if isinstance(row, dict) else row[0]))

    @asynccontextmanager
    async def _os_lock(self, thread_id: str) -> AsyncIterator[None]:
        if not await self._advisory("pg_try_advisory_lock", thread_id):
            raise _busy(thread_id)
        try:
            yield
        finally:
            await self._advisory("pg_advisory_unlock", thread_id)

    async def close(self) -> None:
        """Close the pool and the lock session (which releases any lock left)."""
        await self._pool.close()
        await self._lock_conn.close()


def _pg_error(database: Database, exc: Exception) -> ConfigError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ConfigError(f"cannot connect to Postgres at {database.describe()}: {reason}")


async def _open_postgres(database: Database) -> RunStore:
    try:
        import psycopg
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool
    except ImportError:
        raise ConfigError(
            "Postgres support is not installed: pip install 'skillweave[postgres]'"
        ) from None
    kwargs: dict[str, Any] = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    try:
        lock_conn = await psycopg.AsyncConnection.connect(
            database.target,
            autocommit=True,
            prepare_threshold=0,
            row_factory=dict_row,
            connect_timeout=CONNECT_TIMEOUT_S,
        )
    except psycopg.Error as exc:
        raise _pg_error(database, exc) from None
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        database.target,
        min_size=1,
        max_size=POOL_SIZE,
        kwargs={**kwargs, "connect_timeout": CONNECT_TIMEOUT_S},
        open=False,
    )
    await pool.open()
    store = _PostgresStore(database, pool, lock_conn)
    try:
        await store._setup()
    except psycopg.Error as exc:
        await store.close()
        raise _pg_error(database, exc) from None
    except BaseException:
        await store.close()
        raise
    return store


async def _open_sqlite(database: Database) -> RunStore:
    try:
        conn = await aiosqlite.connect(database.target, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot open SQLite database {database.target}: {exc}") from None
    try:
        direct = sqlite3.connect(database.target, timeout=0, isolation_level=None)
    except sqlite3.Error as exc:
        await conn.close()
        raise ConfigError(f"cannot open SQLite database {database.target}: {exc}") from None
    store = _SqliteStore(database, conn, direct)
    try:
        await store._setup()
    except sqlite3.Error as exc:
        await store.close()
        raise ConfigError(f"cannot use SQLite database {database.target}: {exc}") from None
    except BaseException:
        await store.close()
        raise
    return store


@dataclass
class _Shared:
    store: RunStore
    users: int


_OPEN: dict[tuple[int, str], _Shared] = {}
_OPENING: dict[tuple[int, str], asyncio.Lock] = {}


@asynccontextmanager
async def open_store(
    db: str | None = None, *, data_dir: Path | None = None
) -> AsyncIterator[RunStore]:
    """The run store of ``db``, shared with every concurrent user in this event loop."""
    database = resolve_db(db, data_dir=data_dir)
    key = (id(asyncio.get_running_loop()), f"{database.kind}:{database.target}")
    opening = _OPENING.setdefault(key, asyncio.Lock())
    async with opening:
        shared = _OPEN.get(key)
        if shared is None:
            opener = _open_sqlite if database.kind == "sqlite" else _open_postgres
            shared = _OPEN[key] = _Shared(await opener(database), 0)
        shared.users += 1
    try:
        yield shared.store
    finally:
        shared.users -= 1
        if shared.users == 0 and _OPEN.get(key) is shared:
            del _OPEN[key]
            _OPENING.pop(key, None)
            await shared.store.close()


@asynccontextmanager
async def open_checkpointer(
    db: str | None = None, *, data_dir: Path | None = None
) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """The LangGraph checkpointer of ``db`` (tables created), for tools that read it directly."""
    async with open_store(db, data_dir=data_dir) as store:
        yield store.saver
