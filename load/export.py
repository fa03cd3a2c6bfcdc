"""Stream any table or view of the database to CSV, JSON lines or Parquet.

Rows are fetched in batches through a streaming cursor (server-side on PostgreSQL), so memory
stays flat however large the export. Column types come from SQLAlchemy (the schema's tables and
the views' typed selects), not from the values, so an all-null column still gets its proper
Parquet type. A file is written beside its destination and renamed into place at the end, so a
failure never leaves a half-written export; a destination that exists and is no regular file (a
symlink, a FIFO, `/dev/stdout`) is written through instead, as a rename would replace it.

CSV is what spreadsheets open, and they run a cell that starts with `=`, `+`, `-` or `@` as a
formula (`=HYPERLINK(...)` in a project title becomes a live link). Text cells that a
spreadsheet would run get OWASP's `'` prefix (`spreadsheet_safe`) unless `raw` is asked for.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from load.schema import metadata, plain_type
from load.views import VIEWS
from parsers.fields import PERSONAL_DATA_FIELDS

Format = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl", "parquet")
BATCH_ROWS = 2_000  # rows fetched at a time: small enough that two in memory stay small
PARQUET_ROW_GROUP_ROWS = 20_000  # readers prefer large row groups; memory holds one
SINCE_COLUMN = "last_changed_at"
PROGRESS_ROWS = 100_000

Row = Sequence[Any]


class ExportError(Exception):
    """An export that cannot be made as asked (unknown source, missing column, bad target)."""


@dataclass(frozen=True, slots=True)
class ExportOptions:
    fmt: Format = "csv"
    personal_data: bool = True
    since: dt.date | None = None
    delimiter: str = ","
    batch_rows: int = BATCH_ROWS
    raw: bool = False  # CSV text cells as stored, formula-like ones included


# A CSV delimiter must be one character that is neither the quote nor a line break.
_BAD_DELIMITERS = frozenset('"\r\n')


def check_delimiter(delimiter: str) -> None:
    """Refuse a delimiter the csv module would write but no reader could split back."""
    if len(delimiter) != 1 or delimiter in _BAD_DELIMITERS:
        raise ExportError(
            f"--delimiter must be one character other than a quote or a line break,"
            f" not {delimiter!r}"
        )


# First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
_FORMULA_STARTS = frozenset("=+-@\t\r")
_ALWAYS_FORMULA = frozenset("=@")
# After `+`, `-`, tab or CR: a plain number or phone number stays as it is (`-5`, `+46 8 123 45`).
_PLAIN_NUMBER = re.compile(r"[\d .()-]*\d[\d .()-]*")


def spreadsheet_safe(text: str) -> str:
    """`text`, prefixed with `'` when a spreadsheet would run it as a formula: always after `=`
    and `@`; after `+`, `-`, tab or carriage return unless the rest is a plain number or phone
    number (digits, spaces, dashes, dots, parentheses)."""
    if not text or text[0] not in _FORMULA_STARTS:
        return text
    if text[0] not in _ALWAYS_FORMULA and _PLAIN_NUMBER.fullmatch(text, 1):
        return text
    return "'" + text


def resolve_source(engine: sa.Engine, name: str, kind: Literal["table", "view"]) -> sa.FromClause:
    """The typed table or view `name`, checked to exist in the database behind `engine`."""
    known: dict[str, sa.FromClause] = (
        {n: v.table() for n, v in VIEWS.items()} if kind == "view" else dict(metadata.tables)
    )
    if name not in known:
        raise ExportError(f"unknown {kind} {name!r} (known: {', '.join(sorted(known))})")
    inspector = sa.inspect(engine)
    present = inspector.get_view_names() if kind == "view" else inspector.get_table_names()
    if name not in present:
        raise ExportError(f"the database has no {kind} {name}: run `esfbank db upgrade` first")
    return known[name]


def build_query(source: sa.FromClause, options: ExportOptions) -> sa.Select[Any]:
    """SELECT the exported columns of `source`, dropping personal data and filtering on --since."""
    columns = [
        c for c in source.columns if options.personal_data or c.name not in PERSONAL_DATA_FIELDS
    ]
    query = sa.select(*columns)
    if options.since is not None:
        if SINCE_COLUMN not in source.columns:
            raise ExportError(f"--since filters on {SINCE_COLUMN}, which {source} does not have")
        changed = source.columns[SINCE_COLUMN]
        timezone = getattr(plain_type(changed.type), "timezone", False)
        start = dt.datetime.combine(options.since, dt.time(), dt.UTC if timezone else None)
        query = query.where(changed >= start)
    # Tables in primary-key order; views keep the order their definition gives.
    key = list(source.primary_key) if isinstance(source, sa.Table) else []
    return query.order_by(*key) if key else query


def stream_batches(
    conn: sa.Connection, query: sa.Select[Any], batch_rows: int
) -> Iterator[Sequence[Row]]:
    """Yield lists of rows through a streaming cursor (server-side where the driver has one)."""
    result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(query)
    yield from result.partitions()


def _text(value: Any) -> str:
    """One value as CSV text: empty for null, ISO dates, true/false, JSON for lists and maps."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# Types whose Python values the csv module already writes as _text would: left alone (fast).
_CSV_AS_IS = (sa.String, sa.Integer, sa.Float, sa.Numeric, sa.Date)


def _needs_text(column_type: sa.types.TypeEngine[Any]) -> bool:
    column_type = plain_type(column_type)
    return not isinstance(column_type, _CSV_AS_IS) or isinstance(column_type, sa.DateTime)


def _is_text(column_type: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(plain_type(column_type), sa.String)


def write_csv(
    out: IO[str],
    columns: Sequence[sa.ColumnElement[Any]],
    batches: Iterator[Sequence[Row]],
    delimiter: str,
    *,
    raw: bool = False,
) -> int:
    """Header and rows; only booleans, timestamps and JSON values are converted per value, and
    (unless `raw`) text cells that start like a formula get their `'` (`spreadsheet_safe`)."""
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([str(c.key) for c in columns])
    convert = [i for i, c in enumerate(columns) if _needs_text(c.type)]
    guard = [] if raw else [i for i, c in enumerate(columns) if _is_text(c.type)]
    count = 0
    for batch in batches:
        if convert or guard:
            rows = [list(row) for row in batch]
            for row in rows:
                for i in convert:
                    row[i] = _text(row[i])
                for i in guard:
                    value = row[i]
                    if value and value[0] in _FORMULA_STARTS:
                        row[i] = spreadsheet_safe(value)
            writer.writerows(rows)
        else:
            writer.writerows(batch)
        count += len(batch)
    return count


def write_jsonl(out: IO[str], names: Sequence[str], batches: Iterator[Sequence[Row]]) -> int:
    count = 0
    for batch in batches:
        for row in batch:
            record = dict(zip(names, row, strict=True))
            out.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
        count += len(batch)
    return count


def arrow_type(column_type: sa.types.TypeEngine[Any]) -> pa.DataType:
    """The Parquet (Arrow) type of a SQLAlchemy column type: dates as date32, money as int64."""
    column_type = plain_type(column_type)
    if isinstance(column_type, sa.Boolean):
        return pa.bool_()
    if isinstance(column_type, sa.Integer):
        return pa.int64()
    if isinstance(column_type, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if column_type.timezone else None)
    if isinstance(column_type, sa.Date):
        return pa.date32()
    if isinstance(column_type, sa.Float):  # not a Numeric in SQLAlchemy 2.1
        return pa.float64()
    if isinstance(column_type, sa.Numeric):
        scale = column_type.scale
        if column_type.asdecimal and column_type.precision and scale is not None:
            return pa.decimal128(column_type.precision, scale)
        return pa.float64()
    return pa.string()


def _arrow_converter(column_type: sa.types.TypeEngine[Any]) -> Callable[[Any], Any]:
    """How a Python value of this column becomes an Arrow value (JSON and odd types as text)."""
    target = arrow_type(column_type)
    if pa.types.is_string(target):
        return lambda v: v if v is None or isinstance(v, str) else _text(v)
    if pa.types.is_floating(target):
        return lambda v: None if v is None else float(v)
    return lambda v: v


def write_parquet(
    path: Path,
    source_columns: Sequence[sa.ColumnElement[Any]],
    batches: Iterator[Sequence[Row]],
    row_group_rows: int = PARQUET_ROW_GROUP_ROWS,
) -> int:
    """Rows turn into compact Arrow columns batch by batch; a row group is written every
    `row_group_rows` rows, so memory holds one row group of Arrow data, not the export."""
    schema = pa.schema([(c.key, arrow_type(c.type)) for c in source_columns])
    converters = [_arrow_converter(c.type) for c in source_columns]
    pending: list[pa.RecordBatch] = []
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in batches:
            arrays = [
                pa.array([convert(row[i]) for row in batch], type=field.type)
                for i, (field, convert) in enumerate(zip(schema, converters, strict=True))
            ]
            pending.append(pa.record_batch(arrays, schema=schema))
            count += len(batch)
            if sum(b.num_rows for b in pending) >= row_group_rows:
                writer.write_table(pa.Table.from_batches(pending), row_group_size=row_group_rows)
                pending = []
        if pending or count == 0:
            writer.write_table(pa.Table.from_batches(pending, schema=schema))
    return count


@contextmanager
def output_path(destination: Path) -> Iterator[Path]:
    """The path to write `destination` at: a temporary one renamed onto it at the end (a new or
    regular file), or `destination` itself when it exists and is no regular file (a symlink, a
    FIFO, a device such as /dev/stdout), which a rename would replace by a regular file.

    What keeps the export from starting (no such directory, a directory, not writable) is an
    ExportError; a file system error while writing (disk full) is an OSError naming the file.
    """
    if destination.is_dir():
        raise ExportError(f"cannot write {destination}: it is a directory")
    try:
        regular_or_new = stat.S_ISREG(destination.lstat().st_mode)
    except FileNotFoundError:
        regular_or_new = True
    if regular_or_new:
        with atomic_path(destination) as temporary:
            yield temporary
        return
    try:
        yield destination
    except OSError as exc:
        raise _naming(exc, destination) from None


@contextmanager
def atomic_path(destination: Path) -> Iterator[Path]:
    """A temporary path beside `destination`, renamed onto it only when the block succeeds."""
    directory = destination.parent
    if not directory.is_dir():
        raise ExportError(f"cannot write {destination}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {destination}: directory {directory} is not writable")
    temporary = directory / f".{destination.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        yield temporary
        os.replace(temporary, destination)
    except OSError as exc:
        raise _naming(exc, destination) from None
    finally:
        temporary.unlink(missing_ok=True)


def _naming(exc: OSError, destination: Path) -> OSError:
    """The same error (BrokenPipeError stays one), naming the file the user asked for."""
    return OSError(exc.errno, exc.strerror or str(exc), str(destination))


def _write_text(
    out: IO[str], query: sa.Select[Any], batches: Iterator[Sequence[Row]], options: ExportOptions
) -> int:
    if options.fmt == "csv":
        columns = list(query.selected_columns)
        return write_csv(out, columns, batches, options.delimiter, raw=options.raw)
    return write_jsonl(out, [str(c.key) for c in query.selected_columns], batches)


def _with_progress(
    batches: Iterator[Sequence[Row]], progress: Callable[[int], None] | None
) -> Iterator[Sequence[Row]]:
    """Pass batches on, calling `progress(rows so far)` every PROGRESS_ROWS rows."""
    done, mark = 0, PROGRESS_ROWS
    for batch in batches:
        yield batch
        done += len(batch)
        if progress is not None and done >= mark:
            progress(done)
            mark += PROGRESS_ROWS


def export(
    conn: sa.Connection,
    source: sa.FromClause,
    options: ExportOptions,
    *,
    out_path: Path | None = None,
    stdout: IO[bytes] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Export `source` to `out_path` (`output_path`) or to the byte stream `stdout`; return rows.

    `progress`, when given, hears how many rows are written every PROGRESS_ROWS rows.
    """
    query = build_query(source, options)
    batches = _with_progress(stream_batches(conn, query, options.batch_rows), progress)
    encoding = "utf-8-sig" if options.fmt == "csv" else "utf-8"
    if out_path is None:
        if stdout is None or options.fmt == "parquet":
            raise ExportError("Parquet needs --out PATH: it cannot be written to standard output")
        text = io.TextIOWrapper(stdout, encoding=encoding, newline="", write_through=True)
        try:
            return _write_text(text, query, batches, options)
        finally:
            try:
                text.flush()
            finally:  # the caller's stream stays open, even when the flush failed
                text.detach()
    with output_path(out_path) as path:
        if options.fmt == "parquet":
            return write_parquet(path, list(query.selected_columns), batches)
        with path.open("w", encoding=encoding, newline="") as text_out:
            return _write_text(text_out, query, batches, options)
