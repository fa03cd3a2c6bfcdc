"""Engines for both backends, set up for several writers at once.

SQLite: WAL (readers never block the writer), a busy timeout, foreign keys on, and every
write transaction (on an engine from `writer`) opened with BEGIN IMMEDIATE, so two writing
processes queue for the lock instead of failing halfway with "database is locked"; readers
keep a plain deferred BEGIN and never hold the write lock. PostgreSQL (psycopg 3): writers take
a transaction advisory lock (`lock_writers`), so concurrent loaders serialise their batches.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from load import pgsend

BUSY_TIMEOUT_MS = 60_000
# Page cache of a writing connection: room for a whole batch's dirty pages (a thousand records
# write a few MiB), so a write transaction does not spill pages to the WAL before its commit.
# The default 2 MiB made the last table written in a batch (url_state) cost twice as much.
CACHE_KIB = 32 * 1024
# An arbitrary constant that names "the esfbank writer lock" among PostgreSQL advisory locks.
WRITER_LOCK_KEY = 0x45534662616E6B
_WRITER_OPTION = "esfbank_writer"


class DatabaseUnavailableError(Exception):
    """The database URL does not work: bad URL, missing driver, server down, file not openable."""


def describe(url: str | sa.URL) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return str(url)


def create_engine(url: str | sa.URL) -> Engine:
    """An engine for `url`; raises DatabaseUnavailableError when it is malformed or unusable."""
    try:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            _configure_sqlite(engine)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
            # Batch plain executemany INSERTs into multi-row VALUES too, not only RETURNING ones:
            # psycopg would otherwise send one statement per row.
            engine.dialect.use_insertmanyvalues_wo_returning = True
            pgsend.install(engine)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailableError(f"database {describe(url)}: {exc}") from None
    return engine


def check_connection(engine: Engine) -> None:
    """Connect once, so a bad URL fails here with one clear line rather than mid-load."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError as exc:
        reason = _first_line(exc)
        url = engine.url.render_as_string(hide_password=True)
        if "readonly" in reason:  # SQLite in a read-only directory: WAL cannot start
            raise DatabaseUnavailableError(f"database {url} is read-only: {reason}") from None
        raise DatabaseUnavailableError(f"database {url}: cannot connect: {reason}") from None


def check_writable(engine: Engine) -> None:
    """Make a write that changes nothing and roll it back, so that a writing command stops
    before it starts, in one line, on a database it could read but not write: a `mode=ro` URI,
    a read-only file or directory, a PostgreSQL standby or a user without rights."""
    try:
        with writer(engine).connect() as conn, conn.begin() as transaction:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
            transaction.rollback()
    except sa.exc.DBAPIError as exc:
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailableError(
            f"database {url} is read-only, and this command writes: {_first_line(exc)}"
        ) from None


def sqlite_file(url: sa.URL) -> Path | None:
    """The file of a SQLite URL, a path or a `file:` URI (`?uri=true`); None for an in-memory
    database or another backend."""
    database = url.database
    if url.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    assert database is not None
    if url.query.get("uri") in ("true", "1") and database.startswith("file:"):
        parts = urlsplit(database)
        memory = parts.path in ("", ":memory:") or "mode=memory" in parts.query
        return None if memory else Path(unquote(parts.path))
    return Path(database)


def open_reader(url: str) -> Engine:
    """An engine that only reads `url`. A SQLite file opens read-only (`mode=ro`), and when
    that fails because its directory is read-only (WAL's `-shm` file cannot be made there), as
    immutable: nobody can write there, so nothing changes under the reader. That fallback is
    not taken when a `-wal` file holds writes the main file does not have yet.

    Raises DatabaseUnavailableError with the first reason when no way works."""
    parsed = sa.make_url(url)
    path = sqlite_file(parsed)
    if path is None:
        engine = create_engine(parsed)
        check_connection(engine)
        return engine
    if not parsed.database or not parsed.database.startswith("file:"):
        parsed = parsed.set(database=f"file:{quote(str(path))}")
    read_only = parsed.update_query_dict({"uri": "true", "mode": "ro"})
    candidates = [read_only]
    wal = path.with_name(path.name + "-wal")
    if not (wal.exists() and wal.stat().st_size > 0):
        candidates.append(read_only.update_query_dict({"immutable": "1"}))
    first: sa.exc.DBAPIError | None = None
    for candidate in candidates:
        engine = create_engine(candidate)
        try:
            with engine.connect() as conn:  # reads the file: a WAL database needs its -shm
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        except sa.exc.DBAPIError as exc:
            engine.dispose()
            first = first or exc
            continue
        return engine
    assert first is not None
    raise DatabaseUnavailableError(f"database {describe(url)}: cannot read: {_first_line(first)}")


def _first_line(exc: sa.exc.DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    return lines[0] if lines else type(exc).__name__


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions marked as writes (BEGIN IMMEDIATE on SQLite)."""
    return engine.execution_options(**{_WRITER_OPTION: True})


def lock_writers(conn: Connection) -> None:
    """Serialise writers for the rest of this transaction (SQLite already did at BEGIN)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITER_LOCK_KEY)))


class SchemaChangeError(Exception):
    """A migration left rows that break a foreign key (SQLite checks them before commit)."""


@contextmanager
def schema_change(engine: Engine) -> Iterator[Connection]:
    """One write transaction for migrations, ready for Alembic's batch mode on SQLite.

    SQLite cannot ALTER most things, so batch mode rebuilds a table: create a copy, fill it,
    DROP the original, RENAME the copy. With foreign keys on, the DROP fails when other tables
    refer to the rows (projects: versions, child lists, url_state); and since SQLite 3.26 the
    RENAME re-checks every view and fails on those that read the dropped table ("error in view
    v_projects: no such table"). SQLite's own recipe for a table rebuild is used instead:
    foreign keys off for the transaction (PRAGMA foreign_key_check before commit, so nothing
    dangling is ever committed) and `legacy_alter_table`, under which RENAME leaves views as
    written: they name tables, so they read the rebuilt one. Views need no drop and re-create
    around each rebuild, so a migration author cannot forget one. (A migration that renames a
    table or column a view uses still re-creates that view, as 0002_views says.)
    """
    with writer(engine).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw: Any = conn.connection.driver_connection
        if sqlite:  # outside any transaction: foreign_keys cannot change inside one
            foreign_keys = raw.execute("PRAGMA foreign_keys").fetchone()[0]
            raw.execute("PRAGMA foreign_keys = OFF")
            raw.execute("PRAGMA legacy_alter_table = ON")
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    _check_foreign_keys(conn)
        finally:
            if sqlite:
                raw.execute("PRAGMA legacy_alter_table = OFF")
                raw.execute(f"PRAGMA foreign_keys = {foreign_keys:d}")


def _check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise SchemaChangeError(
            f"migration left {len(broken)} row(s) referring to missing rows, the first in "
            f"{table} (rowid {rowid}) referring to {parent}"
        )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITER_OPTION, False)
        if immediate:  # a writer's batch fits the larger page cache; readers keep the default
            conn.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")  # negative: KiB
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
