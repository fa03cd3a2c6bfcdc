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
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

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


def describe(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def create_engine(url: str) -> Engine:
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
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailableError(f"database {describe(url)}: {exc}") from None
    return engine


def check_connection(engine: Engine) -> None:
    """Connect once, so a bad URL fails here with one clear line rather than mid-load."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailableError(f"database {url}: cannot connect: {reason}") from None


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
