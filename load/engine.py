"""Engines for both backends, set up for several writers at once.

SQLite: WAL (readers never block the writer), a busy timeout, foreign keys on, and every
write transaction (on an engine from `writer`) opened with BEGIN IMMEDIATE, so two writing
processes queue for the lock instead of failing halfway with "database is locked"; readers
keep a plain deferred BEGIN and never hold the write lock. PostgreSQL (psycopg 3): writers take
a transaction advisory lock (`lock_writers`), so concurrent loaders serialise their batches.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_MS = 60_000
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
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
