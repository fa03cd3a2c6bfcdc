"""PostgreSQL bulk statements sent without waiting for their results, so the server works on
one while this process prepares the next.

A load's batch is a row of statements, each a COPY or an INSERT … SELECT that keeps the server
busy for a while, with Python work between them (building the next table's rows). Waiting for
each result made the two take turns: the client's time and the server's added up. Here a
statement is sent and left running; its result is read (and its error raised as SQLAlchemy
raises it: an `IntegrityError`, a `DataError`…) when the connection is next used: the next bulk
statement, any statement SQLAlchemy executes, the commit. A rollback reads it and drops it.
libpq runs one statement at a time per connection (COPY cannot go in a pipeline), so at most
one is in flight, and the statements run in the order and with the effects of a one-by-one run.

Only connections of engines made by `load.engine.create_engine` (which calls `install`) send
this way; others wait for each result as before.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    import psycopg

_SENDS = "esfbank_sends_ahead"  # the pool record's info key: results may be read later
# psycopg connection → the statement whose result is not read yet
_in_flight: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
# psycopg connection → work to do while its statement runs (`while_waiting`)
_idle_work: weakref.WeakKeyDictionary[Any, Callable[[], bool | None]] = weakref.WeakKeyDictionary()


def install(engine: Engine) -> None:
    """Let the engine's connections send bulk statements ahead: the result in flight is read
    before any other statement, at commit, and (its error dropped) at rollback."""

    @event.listens_for(engine.pool, "connect")
    def _mark(_dbapi_connection: Any, record: Any) -> None:
        record.info[_SENDS] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn: Any, cursor: Any, *_args: Any) -> None:
        settle(cursor.connection)

    @event.listens_for(engine, "commit")
    def _commit(conn: Connection) -> None:
        raw: Any = conn.connection.driver_connection
        try:
            settle(raw)
        except sa.exc.DBAPIError:
            raw.rollback()  # as a failed COMMIT leaves it: no transaction, the connection usable
            raise

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Connection) -> None:
        with contextlib.suppress(sa.exc.DBAPIError):  # what the rollback undoes anyway
            settle(conn.connection.driver_connection)


def settle(raw: Any) -> None:
    """Read the result of the statement in flight on the psycopg connection `raw`, if any;
    raise its error as SQLAlchemy would."""
    statement = _in_flight.pop(raw, None)
    if statement is None:
        return
    import psycopg  # noqa: PLC0415 (only PostgreSQL loads pay for importing its driver)
    from psycopg.generators import fetch_many  # noqa: PLC0415

    pgconn = raw.pgconn
    work = _idle_work.get(raw)
    try:
        if work is not None:
            _work_while_busy(raw, work)
    finally:
        # Read even when a step of the work raised (Ctrl-C lands there too): a result left
        # unread keeps the connection busy, and the rollback that follows would fail on it.
        results = raw.wait(fetch_many(pgconn))
    for result in results:
        if result.status == psycopg.pq.ExecStatus.FATAL_ERROR:
            error = psycopg.errors.error_from_result(result, encoding=pgconn._encoding)
            raise sa.exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error


@contextlib.contextmanager
def while_waiting(conn: Connection, work: Callable[[], bool | None]) -> Iterator[None]:
    """Within the block, whenever this process would wait for a statement the connection sent
    ahead, it calls `work()` (a step of about a millisecond) until the server is done or the
    work is: True while there is more, False once there is none, None for nothing to do at
    this wait (it waits as it would have). Waits of connections that do not send ahead are
    untouched."""
    if not _sends_ahead(conn):
        yield
        return
    raw = _raw(conn)
    _idle_work[raw] = work
    try:
        yield
    finally:
        _idle_work.pop(raw, None)


def _work_while_busy(raw: Any, work: Callable[[], bool | None]) -> None:
    """Step `work` while the server is still running the statement in flight on `raw`, until
    it has nothing to do at this wait; drop it from the connection once it is done. A step's
    error goes to the caller."""
    import psycopg  # noqa: PLC0415

    pgconn = raw.pgconn
    while True:
        try:
            pgconn.consume_input()  # reads what has come, without waiting
        except psycopg.Error:  # a broken connection: the wait for the result reports it
            return
        if not pgconn.is_busy():
            return
        more = work()
        if more is None:
            return
        if not more:
            _idle_work.pop(raw, None)
            return


def copy(
    conn: Connection,
    target: str,
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    types: Sequence[str] | None = None,
) -> None:
    """COPY the rows (values of the columns `names`) into the table `target`; the result is
    read later when the connection sends ahead, at once otherwise. psycopg formats the rows and
    sends them a chunk at a time, so the server stores the first while the next are formatted.

    With `types` (a PostgreSQL type name per column, as psycopg knows them), the rows go in
    COPY's binary format: the server takes each value as it comes instead of splitting lines
    into fields and parsing numbers, dates and times from text (a tenth of its work in a
    load). The types must be the columns' own, or a type with the same binary form: `text`
    for `varchar`, `bytea` for values already in their column's binary form (a `jsonb` value
    is the byte 1 and the JSON text)."""
    import psycopg  # noqa: PLC0415
    from psycopg.copy import LibpqWriter  # noqa: PLC0415

    binary = " (FORMAT BINARY)" if types is not None else ""
    statement = f"COPY {target} ({', '.join(names)}) FROM STDIN{binary}"
    raw = _raw(conn)
    settle(raw)
    ahead = _sends_ahead(conn)
    try:
        with raw.cursor() as cursor:
            writer = _end_without_result()(cursor) if ahead else LibpqWriter(cursor)
            with cursor.copy(statement, writer=writer) as copying:
                if types is not None:
                    copying.set_types(types)
                for row in rows:
                    copying.write_row(row)
    except psycopg.Error as exc:  # wrapped as SQLAlchemy would: IntegrityError, DataError…
        raise sa.exc.DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
    if ahead:
        _in_flight[raw] = statement


def execute(conn: Connection, statement: str) -> None:
    """Run a statement without parameters, its result read later when the connection sends
    ahead (inside a transaction), at once otherwise."""
    from psycopg.generators import send  # noqa: PLC0415
    from psycopg.pq import TransactionStatus  # noqa: PLC0415

    raw = _raw(conn)
    settle(raw)
    if not _sends_ahead(conn) or raw.info.transaction_status != TransactionStatus.INTRANS:
        conn.exec_driver_sql(statement)
        return

    raw.pgconn.send_query(statement.encode())
    _in_flight[raw] = statement
    raw.wait(send(raw.pgconn))


def _raw(conn: Connection) -> psycopg.Connection[Any]:
    return cast("psycopg.Connection[Any]", conn.connection.driver_connection)


def _sends_ahead(conn: Connection) -> bool:
    return bool(conn.connection.info.get(_SENDS))


@functools.cache  # a class made once, when the first PostgreSQL load imports psycopg
def _end_without_result() -> type[psycopg.copy.LibpqWriter]:
    from psycopg.copy import LibpqWriter  # noqa: PLC0415
    from psycopg.generators import send  # noqa: PLC0415

    class EndWithoutResult(LibpqWriter):
        """Ends the COPY and leaves its result to `settle`."""

        def finish(self, exc: BaseException | None = None) -> None:
            if exc is not None:
                super().finish(exc)
                return
            pgconn = self._pgconn
            while pgconn.put_copy_end(None) == 0:
                self.connection.wait(send(pgconn))
            self.connection.wait(send(pgconn))

    return EndWithoutResult
