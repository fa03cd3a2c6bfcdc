"""Bulk writes the fast way each backend offers: COPY FROM STDIN on PostgreSQL (ten times
multi-row VALUES), the driver's own executemany on SQLite. SQLAlchemy's per-row parameter
processing is bypassed, so values are converted here, once per column type.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import pgsend
from load.schema import plain_type

COPY_CHUNK = 1000  # rows a PostgreSQL COPY converts at a time (`_copied`)

ConvertColumn = Callable[[Sequence[Any]], Sequence[Any]]  # a column's values, converted


class JsonText(str):
    """A value already serialised as JSON: written to a JSON column as it is."""

    __slots__ = ()


class JsonBytes(bytes):
    """A value already serialised as JSON, in UTF-8: written to a JSON column as it is (a
    binary COPY sends it without decoding and encoding it again)."""

    __slots__ = ()


# Made once: json.dumps with options builds a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(value: Any) -> str | None:
    """A JSON column's text. orjson writes it ten times faster than the standard library; its
    text may differ in float notation, which a JSON column does not keep anyway (columns are
    read back as values, and JSONB re-writes them). What orjson refuses (integers beyond 64
    bits) the standard library writes."""
    if value is None or isinstance(value, JsonText):
        return value
    if isinstance(value, JsonBytes):
        return value.decode()
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return _JSON.encode(value)


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """SQLAlchemy's own SQLite storage format, so its DateTime columns read these back."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _json_column(values: Sequence[Any]) -> Sequence[Any]:
    """A JSON column's texts (`_json`), the common case without a Python call per value."""
    try:
        return [v if v is None or type(v) is JsonText else orjson.dumps(v).decode() for v in values]
    except orjson.JSONEncodeError:  # what orjson refuses, or JsonBytes
        return list(map(_json, values))


_JSONB_VERSION = b"\x01"  # jsonb's binary form: this byte, then the JSON text


def _utf8_json(value: Any) -> bytes:
    """A JSON column's value as UTF-8 JSON (raises orjson.JSONEncodeError where orjson
    refuses it)."""
    kind = type(value)
    if kind is JsonBytes:
        return cast("bytes", value)
    return cast("str", value).encode() if kind is JsonText else orjson.dumps(value)


def _jsonb_column(values: Sequence[Any]) -> Sequence[Any]:
    """A JSON column's values in jsonb's binary form, for a binary COPY (`_json` otherwise)."""
    try:
        return [None if v is None else _JSONB_VERSION + _utf8_json(v) for v in values]
    except orjson.JSONEncodeError:
        return [None if t is None else _JSONB_VERSION + t.encode() for t in map(_json, values)]


# The type a binary COPY sends each kind of column as (psycopg's names; the first that
# matches, subclasses first). `text` is also `varchar`'s binary form; JSON columns go as the
# bytes `_jsonb_column` makes. A table with another kind of column is copied as text.
_BINARY_TYPES: tuple[tuple[type[sa.types.TypeEngine[Any]], str], ...] = (
    (sa.JSON, "bytea"),
    (sa.Boolean, "bool"),
    (sa.SmallInteger, "int2"),
    (sa.BigInteger, "int8"),
    (sa.Integer, "int4"),
    (sa.Float, "float8"),
    (sa.Date, "date"),
    (sa.String, "text"),
)


def _binary_type(column_type: sa.types.TypeEngine[Any]) -> str | None:
    if isinstance(column_type, sa.DateTime):
        return "timestamptz" if column_type.timezone else "timestamp"
    return next((name for kind, name in _BINARY_TYPES if isinstance(column_type, kind)), None)


def _binary_types(conn: Connection, table: sa.Table, names: Sequence[str]) -> list[str] | None:
    """The types a PostgreSQL COPY of these columns sends in binary; None when one has no
    binary form here (the COPY is then text) or on SQLite."""
    if conn.dialect.name != "postgresql":
        return None
    types = [_binary_type(plain_type(table.c[name].type)) for name in names]
    return None if None in types else cast("list[str]", types)


_DATES = frozenset({dt.date, type(None)})


def _sqlite_dates(values: Sequence[dt.date | None]) -> Sequence[str | None]:
    """ISO dates. orjson writes a date as `isoformat` does, a whole column in two calls in C;
    `isoformat` formats each date through PyUnicode_FromFormat, which cost more than the
    rest of a project row's conversion (callgrind). Other date types (a subclass, a datetime)
    take `isoformat`."""
    if set(map(type, values)) <= _DATES:
        texts: list[str | None] = orjson.loads(orjson.dumps(values))
        return texts
    return [None if v is None else v.isoformat() for v in values]


def _sqlite_datetimes(values: Sequence[dt.datetime | None]) -> Sequence[str | None]:
    """Each distinct time converted once: a batch stamps its thousands of rows with one."""
    texts = {value: _sqlite_datetime(value) for value in set(values)}
    return list(map(texts.__getitem__, values))


def _converter(
    column_type: sa.types.TypeEngine[Any], dialect: str, binary: bool
) -> ConvertColumn | None:
    """How a column's values are handed to the driver (None: as they are; sqlite3 binds
    booleans as the integers 0 and 1 itself); `binary`: for a binary COPY."""
    if isinstance(column_type, sa.JSON):
        return _jsonb_column if binary else _json_column
    if dialect != "sqlite":
        return None  # psycopg adapts dates, timestamps and booleans itself
    if isinstance(column_type, sa.DateTime):
        return _sqlite_datetimes
    if isinstance(column_type, sa.Date):
        return _sqlite_dates
    return None


def _converters(
    conn: Connection, table: sa.Table, names: Sequence[str], *, binary: bool
) -> list[ConvertColumn | None]:
    """How each of the columns `names` is converted (`_converter`); `binary`: for a COPY in
    binary."""
    dialect = conn.dialect.name
    return [_converter(plain_type(table.c[n].type), dialect, binary) for n in names]


def _converted(
    tuples: list[tuple[Any, ...]], converters: Sequence[ConvertColumn | None]
) -> list[tuple[Any, ...]]:
    """The tuples with each value converted for its column (`_converters`), column by column."""
    if not any(converters):
        return tuples
    columns: list[Sequence[Any]] = list(zip(*tuples, strict=True))
    for index, convert in enumerate(converters):
        if convert is not None:
            columns[index] = convert(columns[index])
    return list(zip(*columns, strict=True))


def _copied(
    conn: Connection, table: sa.Table, names: Sequence[str], tuples: list[tuple[Any, ...]]
) -> tuple[Iterator[tuple[Any, ...]], list[str] | None]:
    """The tuples converted for a PostgreSQL COPY (`_converted`), a chunk at a time as the COPY
    takes them, and the COPY's binary types: the server stores the first rows while the next
    are converted, instead of idling until all are (the JSON of 5,000 projects' sections,
    some 15 ms). Rows with nothing to convert go as they are."""
    types = _binary_types(conn, table, names)
    converters = _converters(conn, table, names, binary=types is not None)
    if not any(converters):
        return iter(tuples), types
    rows = (
        row
        for start in range(0, len(tuples), COPY_CHUNK)
        for row in _converted(tuples[start : start + COPY_CHUNK], converters)
    )
    return rows, types


def _tuples(names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows' values in the order of `names`."""
    get = operator.itemgetter(*names)
    return [get(row) for row in rows] if len(names) > 1 else [(row[names[0]],) for row in rows]


def allocate_ids(conn: Connection, table: sa.Table, count: int) -> list[int]:
    """`count` new values of the table's integer `id`, for rows written by `insert_rows`.
    On SQLite the caller must hold the write lock (BEGIN IMMEDIATE), as every writer here does."""
    if conn.dialect.name == "postgresql":
        # The sequence looked up once (OFFSET 0 keeps the sub-select apart), not once per value;
        # the values come back as one array, which psycopg reads in a third of the time it
        # takes to fetch them as thousands of rows.
        sequence = f"CAST(pg_get_serial_sequence('{table.name}', 'id') AS regclass)"
        sql = (
            f"SELECT array_agg(nextval(q.s)) FROM (SELECT {sequence} AS s OFFSET 0) q,"
            f" generate_series(1, {count:d})"
        )
        return list(conn.exec_driver_sql(sql).scalar_one() or ())  # NULL: none asked for
    last = conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}").scalar_one()
    return list(range(last + 1, last + 1 + count))


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT every row (all with the same keys, column names) in the current transaction."""
    if rows:
        names = list(rows[0])
        insert_tuples(conn, table, names, _tuples(names, rows))


def insert_tuples(
    conn: Connection, table: sa.Table, names: Sequence[str], tuples: list[tuple[Any, ...]]
) -> None:
    """INSERT rows given as tuples in the order of `names`: for rows built by the thousand,
    where a dict per row would cost more than the row's write."""
    if not tuples:
        return
    if conn.dialect.name == "postgresql":
        pgsend.copy(conn, table.name, names, *_copied(conn, table, names, tuples))
    else:
        values = _converted(tuples, _converters(conn, table, names, binary=False))
        placeholders = ", ".join("?" * len(names))
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})"
        conn.exec_driver_sql(sql, values)


def staging_table(name: str, columns: str) -> str:
    """SQL that makes the temporary table `name` (of `columns`, SQL) ready to be filled: made
    once per connection, emptied at each commit, and emptied here too, as a second fill in the
    same transaction must not carry the first one's rows into the table filled from it."""
    return (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} {columns} ON COMMIT DELETE ROWS;"
        f" DELETE FROM {name}"
    )


def upsert_rows(
    conn: Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str,
    keep_when_null: Sequence[str] = (),
    update_when: str | None = None,
) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE: every other column takes the new value, except
    those in `keep_when_null`, which keep the stored one when the new one is NULL; with
    `update_when` (SQL over the table and `excluded`), only stored rows meeting it change.
    (PostgreSQL: COPY into a temporary table, then one INSERT … SELECT.)"""
    if rows:
        names = list(rows[0])
        tuples = _tuples(names, rows)
        upsert_tuples(
            conn,
            table,
            names,
            tuples,
            key=key,
            keep_when_null=keep_when_null,
            update_when=update_when,
        )


def upsert_tuples(
    conn: Connection,
    table: sa.Table,
    names: Sequence[str],
    tuples: list[tuple[Any, ...]],
    *,
    key: str,
    keep_when_null: Sequence[str] = (),
    update_when: str | None = None,
) -> None:
    """`upsert_rows` of rows given as tuples in the order of `names` (as `insert_tuples`)."""
    if not tuples:
        return
    updates = ", ".join(
        f"{n} = COALESCE(excluded.{n}, {table.name}.{n})"
        if n in keep_when_null
        else f"{n} = excluded.{n}"
        for n in names
        if n != key
    )
    conflict = f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    if update_when is not None:
        conflict += f" WHERE {update_when}"
    columns = ", ".join(names)
    if conn.dialect.name == "postgresql":
        staging = f"incoming_{table.name}"
        pgsend.execute(conn, staging_table(staging, f"(LIKE {table.name} INCLUDING DEFAULTS)"))
        pgsend.copy(conn, staging, names, *_copied(conn, table, names, tuples))
        pgsend.execute(
            conn, f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {staging} {conflict}"
        )
    else:
        values = _converted(tuples, _converters(conn, table, names, binary=False))
        placeholders = ", ".join("?" * len(names))
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders}) {conflict}", values
        )
