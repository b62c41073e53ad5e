"""The one owner of aiosqlite: connections, transactions, and what a storage error says.

A `Database` holds two connections to one SQLite file in WAL mode:

- the writer: every write and every transaction. An asyncio lock serialises it, so the
  statements of one coroutine's transaction are never interleaved with another coroutine's
  (a write made elsewhere waits for the COMMIT or ROLLBACK instead of joining the
  transaction and sharing its fate). Inside `async with db.transaction():` the owning task
  reads through the writer too, and sees its own uncommitted rows.
- the reader (`PRAGMA query_only`): reads from every other task. In WAL mode it sees the
  last committed state and never waits for a writer, in this process or another.

`db.snapshot()` gives a consistent multi-query read on a short-lived connection of its own,
so a long read (the whole catalogue) neither blocks nor is joined by anyone.

Every environmental failure (corrupt file, read-only file or folder, full disk, locked,
missing table) is re-raised as `StorageError`, whose message names the file and the reason.
Constraint violations (`sqlite3.IntegrityError`) and programming errors pass through as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 5.0  # seconds a statement waits for another process's write lock

# sqlite error names -> what a person running the bot needs to hear.
_REASONS = {
    "SQLITE_READONLY": "the database is read-only",
    "SQLITE_FULL": "the disk is full",
    "SQLITE_NOTADB": "not a database file",
    "SQLITE_CORRUPT": "the database file is corrupted",
    "SQLITE_CANTOPEN": "cannot open the database file, or its -wal and -shm files in the same folder",
    "SQLITE_IOERR": "disk I/O error",
    "SQLITE_BUSY": "the database is locked by another process",
    "SQLITE_PERM": "no permission to use the database file",
}


class StorageError(sqlite3.DatabaseError):
    """The database cannot be used as it is; `str()` is "<file>: <reason>"."""

    def __init__(self, path: Path | str, reason: str, *, code: str | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason
        self.sqlite_errorname = code or ""


def storage_error(path: Path | str, exc: BaseException) -> BaseException:
    """`exc` as a StorageError naming `path`, when it is about the file and not the data."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = f"the database file or its folder is read-only ({reason})"
        return StorageError(path, reason, code="OS")
    if type(exc) not in (sqlite3.OperationalError, sqlite3.DatabaseError):
        return exc  # IntegrityError, ProgrammingError...: about the data or the code
    code = getattr(exc, "sqlite_errorname", "") or ""
    detail = str(exc)
    reason = next((text for name, text in _REASONS.items() if code.startswith(name)), "")
    if code.startswith("SQLITE_IOERR") and _disk_full(Path(path)):
        reason = _REASONS["SQLITE_FULL"]
    if not reason or reason in detail:
        return StorageError(path, detail, code=code)
    return StorageError(path, f"{reason} ({detail})", code=code)


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < 64 * 1024
    except OSError:
        return False


async def _connect(path: Path, *, query_only: bool = False) -> aiosqlite.Connection:
    conn = aiosqlite.connect(path, isolation_level=None)
    try:
        await conn  # starts the worker thread; from here on it must be closed, whatever happens
    except BaseException:
        # aiosqlite stops its thread without waiting; wait, or the thread reports to a closed loop.
        thread = getattr(conn, "_thread", None)
        if thread is not None and thread.is_alive():
            await asyncio.to_thread(thread.join, 1.0)
        raise
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        if query_only:
            await conn.execute("PRAGMA query_only = 1")
        else:
            mode = await _wal(conn)
            if str(path) != ":memory:" and mode != "wal":
                raise sqlite3.OperationalError(f"cannot switch to WAL mode (journal_mode is {mode})")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        await _close_quietly(conn)
        raise
    return conn


async def _wal(conn: aiosqlite.Connection) -> str:
    """Switch to WAL mode. Changing the journal mode does not wait for locks (no busy handler):
    when another process is doing the same to a new file, try again for a while."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            async with conn.execute("PRAGMA journal_mode = WAL") as cur:
                return (await cur.fetchone())[0]
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorname", "").startswith("SQLITE_BUSY")
            if not busy or time.monotonic() > deadline:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.05))


def _preflight(path: Path) -> None:
    """Plain file checks first, for plain reasons: no folder, a folder, no permission."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise StorageError(path, "is a directory, not a database file", code="OS")
    if path.exists():
        path.open("rb").close()
    else:
        path.touch()  # an empty file is an empty database to SQLite


async def _check_writable(conn: aiosqlite.Connection) -> None:
    """A read-only file opens without complaint (even BEGIN IMMEDIATE works in WAL mode) and
    fails at the first write, maybe hours later: write the header's user_version back to
    itself now, and roll that back."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        async with conn.execute("PRAGMA user_version") as cur:
            version = int((await cur.fetchone())[0])
        await conn.execute(f"PRAGMA user_version = {version}")
    finally:
        await conn.execute("ROLLBACK")


async def _close_quietly(conn: aiosqlite.Connection | None) -> None:
    if conn is None:
        return
    try:
        await conn.close()
    except Exception:  # closing after a failure: the first error is the one to report
        log.debug("closing a failed connection", exc_info=True)


async def _fetch(path: Path, conn: aiosqlite.Connection, sql: str, params: Iterable, tuples: bool) -> list:
    """Rows through a cursor: only on a connection no other task uses meanwhile."""
    try:
        async with conn.execute(sql, tuple(params)) as cur:
            if tuples:
                cur.row_factory = None  # this cursor only
            return list(await cur.fetchall())
    except sqlite3.Error as exc:
        raise storage_error(path, exc) from exc


class Reads:
    """Read helpers over one connection that only the current task uses."""

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._read_conn = conn

    async def fetchall(self, sql: str, params: Iterable = (), *, tuples: bool = False) -> list:
        """All rows; `tuples=True` may give plain tuples (faster for large reads) instead of
        rows that also index by column name."""
        return await _fetch(self.path, self._read_conn, sql, params, tuples)

    async def fetchone(self, sql: str, params: Iterable = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Iterable = (), default: Any = None) -> Any:
        rows = await self.fetchall(sql, params, tuples=True)
        return rows[0][0] if rows else default


class Database(Reads):
    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        super().__init__(path, reader)
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None  # the task inside the open transaction
        self._savepoints = 0
        self._closed = False

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating if needed) the file in WAL mode; fails with StorageError when the
        file or its folder is unusable or read-only."""
        path = Path(path)
        writer = reader = None
        try:
            if str(path) != ":memory:":
                _preflight(path)
            writer = await _connect(path)
            await _check_writable(writer)
            reader = writer if str(path) == ":memory:" else await _connect(path, query_only=True)
        except BaseException as exc:
            await _close_quietly(reader if reader is not writer else None)
            await _close_quietly(writer)
            if isinstance(exc, sqlite3.Error | OSError):
                raise storage_error(path, exc) from exc
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._read_conn is not self._writer:
                await _close_quietly(self._read_conn)
            await self._writer.close()
        except sqlite3.Error as exc:
            raise storage_error(self.path, exc) from exc

    # -- transactions ---------------------------------------------------------------------

    def in_transaction(self) -> bool:
        """True in the task that owns the open transaction (and only there)."""
        return self._owner is not None and self._owner is asyncio.current_task()

    @contextlib.asynccontextmanager
    async def transaction(self, mode: str = "IMMEDIATE") -> AsyncIterator[None]:
        """`async with db.transaction():` commits on success, rolls back on any exception
        (cancellation included). Nested in the same task it is a savepoint: an inner failure
        rolls back the inner part only, if the outer code catches it.

        The transaction belongs to the task that opened it: a task it starts and waits for
        would wait for the transaction to end, so keep the body to this task's own statements.
        """
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"unknown transaction mode {mode!r}")
        if self.in_transaction():
            async with self._savepoint():
                yield
            return
        async with self._write_lock:
            self._owner = asyncio.current_task()
            try:
                # BEGIN inside: a task cancelled while waiting for it still has it run on the
                # worker thread, and must roll it back rather than leave it open for the next.
                await self._run(f"BEGIN {mode}")
                yield
                await self._run("COMMIT")
            except BaseException:
                await self._rollback("ROLLBACK")
                raise
            finally:
                self._owner = None

    @contextlib.asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        try:
            await self._run(f"SAVEPOINT {name}")
            yield
            await self._run(f"RELEASE {name}")
        except BaseException:
            await self._rollback(f"ROLLBACK TO {name}")
            await self._rollback(f"RELEASE {name}")
            raise
        finally:
            self._savepoints -= 1

    async def _rollback(self, sql: str) -> None:
        # A statement cancelled mid-way still runs on the worker thread; the ROLLBACK queues
        # behind it. If the transaction ended already (a COMMIT that was cancelled while it
        # ran), there is nothing to roll back: the first error is the one to report.
        try:
            await self._writer.execute(sql)
        except sqlite3.Error:
            if self._writer.in_transaction and sql == "ROLLBACK":
                log.exception("%s: rollback failed", self.path)

    # -- snapshots --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reads]:
        """Several reads that see one committed state, on a connection of their own."""
        if self.in_transaction():
            yield _WriterReads(self)  # the transaction is the snapshot, own rows included
            return
        if str(self.path) == ":memory:":
            async with self.transaction("DEFERRED"):
                yield _WriterReads(self)
            return
        try:
            conn = await _connect(self.path, query_only=True)
        except sqlite3.Error as exc:
            raise storage_error(self.path, exc) from exc
        try:
            await conn.execute("BEGIN")
            yield Reads(self.path, conn)
        finally:
            await _close_quietly(conn)  # ends the read transaction too

    # -- statements -----------------------------------------------------------------------

    async def fetchall(self, sql: str, params: Iterable = (), *, tuples: bool = False) -> list:
        if self.in_transaction():
            return await _fetch(self.path, self._writer, sql, params, tuples)  # own rows included
        if self._read_conn is self._writer:
            async with self._write_lock:  # one connection only (":memory:"): never mid-transaction
                return await _fetch(self.path, self._writer, sql, params, tuples)
        # The reader is shared by every task: each read is one step on its worker thread. Reads
        # through cursors would overlap, and overlapping statements keep one read transaction
        # (and so one old snapshot) open across other tasks' commits.
        try:
            return list(await self._read_conn.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise storage_error(self.path, exc) from exc

    async def execute(self, sql: str, params: Iterable = ()) -> int:
        """One write; returns the number of rows changed."""
        async with self._writing():
            cur = await self._run(sql, tuple(params))
            return cur.rowcount

    async def insert(self, sql: str, params: Iterable = ()) -> int:
        """One INSERT; returns the new row's id."""
        async with self._writing():
            cur = await self._run(sql, tuple(params))
            return cur.lastrowid

    async def executemany(self, sql: str, rows: Sequence[Sequence]) -> int:
        """One statement for many rows in one step (one thread hop); returns rows changed."""
        if not rows:
            return 0
        async with self._writing():
            try:
                cur = await self._writer.executemany(sql, rows)
            except sqlite3.Error as exc:
                raise storage_error(self.path, exc) from exc
            rowcount = cur.rowcount
            await cur.close()
            return rowcount

    async def returning(self, sql: str, params: Iterable = ()) -> list[aiosqlite.Row]:
        """A write with a RETURNING clause; returns its rows."""
        async with self._writing():
            try:
                return list(await self._writer.execute_fetchall(sql, tuple(params)))
            except sqlite3.Error as exc:
                raise storage_error(self.path, exc) from exc

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        if self.in_transaction():
            yield  # part of the caller's transaction
            return
        async with self._write_lock:  # autocommit, but never inside someone else's transaction
            yield

    async def _run(self, sql: str, params: tuple = ()) -> aiosqlite.Cursor:
        # One step on the worker thread: a statement without result rows is finished (and
        # reset) when execute returns, so the cursor needs no closing round trip.
        try:
            return await self._writer.execute(sql, params)
        except sqlite3.Error as exc:
            raise storage_error(self.path, exc) from exc


class _WriterReads(Reads):
    """Reads through the writer, inside the caller's own transaction."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.path, db._writer)  # noqa: SLF001 - the same module's class
