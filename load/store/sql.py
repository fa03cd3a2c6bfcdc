"""Statement helpers every part of the store shares: chunked IN lists, the dialect's INSERT,
one-line database messages, and the code-point order of competing spellings."""

from __future__ import annotations

import importlib
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

_T = TypeVar("_T")
# Values per list `among` sends (as one parameter): more than a batch holds, so a batch looks
# up what is stored, or resolves its pages' errors, in one statement, not a round trip each
# thousand (PostgreSQL waited through eight of them at the start of each batch).
IN_CHUNK = 10_000


def chunks(values: Iterable[_T], size: int = IN_CHUNK) -> Iterator[list[_T]]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def started_small(values: Iterable[_T], size: int, first: int) -> Iterator[list[_T]]:
    """Chunks of `size`, the first of `first` (at least one value)."""
    iterator = iter(values)
    if head := list(itertools.islice(iterator, max(1, first))):
        yield head
        yield from chunks(iterator, size)


def tapered(values: Iterable[_T], size: int, expected: int, least: int = 32) -> Iterator[list[_T]]:
    """Chunks of `size` while twice that is still expected, then each half of what is left
    (at least `least`): when the values come from parse workers, what the writer has left to
    write alone after the last one arrives is a few small chunks, not a whole one."""
    iterator = iter(values)
    left = expected
    while chunk := list(itertools.islice(iterator, min(size, max(least, left // 2)))):
        yield chunk
        left -= len(chunk)


def dialect(conn: Connection) -> Any:
    """The connection's dialect module (already imported by its engine: a SQLite run never
    imports the PostgreSQL dialect)."""
    return importlib.import_module(f"sqlalchemy.dialects.{conn.dialect.name}")


def insert(conn: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    return dialect(conn).insert(table)


def among(conn: Connection, column: sa.ColumnElement[Any], values: Sequence[Any]) -> Any:
    """`column IN (values)` with the values as one parameter, a JSON array: SQLAlchemy takes
    longer to render a thousand placeholders than SQLite to run the statement, and psycopg
    longer to adapt a list of 5,000 URLs as an array (3 ms) than orjson to write it and the
    server to read it (under 1 ms). The values are strings or integers."""
    try:
        listed = orjson.dumps(list(values)).decode()
    except orjson.JSONEncodeError:  # what orjson refuses (a lone surrogate) the stdlib writes
        listed = json.dumps(list(values))
    if conn.dialect.name == "postgresql":
        array = sa.cast(sa.bindparam(None, listed, type_=sa.Text), dialect(conn).JSON)
        value: sa.ColumnElement[Any] = sa.func.json_array_elements_text(array).column_valued()
        if isinstance(column.type, sa.Integer):  # strings compare with text as they are
            value = sa.cast(value, column.type)
        return column.in_(sa.select(value))
    each = sa.func.json_each(sa.bindparam(None, listed, type_=sa.Text)).table_valued("value")
    return column.in_(sa.select(each.c.value))


def db_message(exc: sa.exc.DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    return lines[0] if lines else type(exc).__name__


def first(a: str | None, b: str | None) -> str | None:
    """The first of two values in code-point order (None only when both are): what the
    database keeps of competing spellings, so the result does not depend on load order."""
    if a is None or b is None:
        return b if a is None else a
    return b if b < a else a
