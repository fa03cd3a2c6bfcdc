"""`esfbank export`: a table or view to CSV, JSON lines or Parquet, streamed."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, Literal

from esfbank.commands._options import add_db_option
from esfbank.errors import UsageError, writing_stdout


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export a table or view to CSV, JSON lines or Parquet",
        description="Stream a table or view of the database to CSV (UTF-8 with BOM), JSON lines "
        "or Parquet. Without --out, CSV and JSON lines go to standard output.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--table", metavar="NAME", help="a table, e.g. projects")
    source.add_argument("--view", metavar="NAME", help="a view, e.g. v_projects")
    p.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv")
    p.add_argument("--out", metavar="PATH", type=Path, help="file to write (required for parquet)")
    p.add_argument(
        "--no-personal-data",
        dest="personal_data",
        action="store_false",
        help="leave out personal data: the columns the data dictionary marks so",
    )
    p.add_argument(
        "--since", metavar="DATE", help="only rows with last_changed_at on or after DATE"
    )
    p.add_argument("--delimiter", default=",", help="CSV delimiter, e.g. ';' for Swedish Excel")
    p.add_argument(
        "--raw",
        action="store_true",
        help="CSV text cells as stored: no ' before cells a spreadsheet would run as a formula",
    )
    add_db_option(p)
    p.set_defaults(run=run)


def _since(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since: {value!r} is not a date like 2024-01-31") from None


def run(args: argparse.Namespace) -> int:
    # Imported here so that other subcommands start without SQLAlchemy and pyarrow (cli.py).
    from esfbank.commands._database import open_migrated
    from load import export as ex

    try:
        ex.check_delimiter(args.delimiter)
    except ex.ExportError as exc:
        raise UsageError(str(exc)) from None
    if args.format == "parquet" and args.out is None:
        raise UsageError("--format parquet needs --out PATH")
    options = ex.ExportOptions(
        fmt=args.format,
        personal_data=args.personal_data,
        since=_since(args.since),
        delimiter=args.delimiter,
        raw=args.raw,
    )
    engine = open_migrated(args.db)
    kind: Literal["table", "view"] = "table" if args.table else "view"
    name = args.table or args.view
    try:
        source = ex.resolve_source(engine, name, kind)
        with engine.connect() as conn, writing_stdout():
            count = ex.export(
                conn,
                source,
                options,
                out_path=args.out,
                stdout=sys.stdout.buffer,
                progress=lambda rows: print(f"esfbank export: {rows} rows …", file=sys.stderr),
            )
    except ex.ExportError as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.dispose()
    target = args.out or "standard output"
    print(f"esfbank export: {count} rows of {kind} {name} written to {target}", file=sys.stderr)
    return 0
