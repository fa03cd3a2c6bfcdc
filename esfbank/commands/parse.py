"""`esfbank parse PATH...`: saved pages to records on stdout, one per input, in input order.

Imports only the parsers (no Scrapy, no SQLAlchemy) so that it starts fast. Every record error
is also one line on stderr naming the file, field, label and value; the exit code is 1 when any
input had errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from esfbank.errors import UsageError, writing_stdout

FORMATS = ("jsonl", "json", "table")
PAGE_SUFFIXES = frozenset({".html", ".htm", ".txt"})
_PROGRESS_EVERY = 500
_TABLE_COLUMNS = (
    ("kind", 8),
    ("programme_period", 9),
    ("project_number", 11),
    ("title", 44),
    ("errors", 6),
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "parse",
        help="parse saved pages (.html or .txt snapshots) to records on stdout, no database",
        description="Parse saved pages to records: one JSON object per input, in input order.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a saved page (.html/.htm or a .txt text snapshot), or a folder of them",
    )
    p.add_argument(
        "--format",
        default="jsonl",
        help="jsonl (default: one JSON object a line), json (one array) or table",
    )
    p.set_defaults(run=run)


def expand_paths(paths: Iterable[str]) -> Iterator[tuple[Path, str]]:
    """(file, path as given) pairs; a folder gives its pages (recursively) in sorted order.

    A folder without pages is passed on as it is: reading it fails, so it gets its record and
    error like any unreadable input.
    """
    for given in paths:
        path = Path(given)
        pages = (
            sorted(p for p in path.rglob("*") if p.suffix.lower() in PAGE_SUFFIXES and p.is_file())
            if path.is_dir()
            else []
        )
        if pages:
            yield from ((page, str(page)) for page in pages)
        else:
            yield path, given


def error_lines(path: str, errors: Sequence[dict[str, Any]]) -> Iterator[str]:
    """One stderr line per record error: file, field, label, value, message."""
    for error in errors:
        where = f"field {error['field']}"
        if error.get("label"):
            where += f" (label {error['label']!r})"
        if error.get("value") is not None:
            where += f" value {error['value']!r}"
        yield f"esfbank parse: {path}: {where}: {error['message']}"


def _table_row(record: dict[str, Any]) -> str:
    cells = []
    for name, width in _TABLE_COLUMNS:
        value = record.get(name)
        text = "" if value is None else str(len(value) if name == "errors" else value)
        cells.append(text[:width].ljust(width))
    return f"{'  '.join(cells)}  {record['source_path']}"


def _write(records: Iterable[dict[str, Any]], fmt: str, out: TextIO) -> None:
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
    elif fmt == "json":
        json.dump(list(records), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        header = "  ".join(name[:width].ljust(width) for name, width in _TABLE_COLUMNS)
        out.write(f"{header}  source_path\n")
        for record in records:
            out.write(_table_row(record) + "\n")


def run(args: argparse.Namespace) -> int:
    if args.format not in FORMATS:
        raise UsageError(f"unknown --format {args.format!r}: choose one of {', '.join(FORMATS)}")
    if not args.paths:
        raise UsageError("give at least one saved page or folder to parse")
    from parsers.page import parse_path
    from parsers.records import to_json_dict

    failed = 0
    progress = sys.stderr.isatty()

    def records() -> Iterator[dict[str, Any]]:
        nonlocal failed
        for count, (path, given) in enumerate(expand_paths(args.paths), start=1):
            record = to_json_dict(parse_path(path, display_path=given))
            if record["errors"]:
                failed += 1
                for line in error_lines(given, record["errors"]):
                    print(line, file=sys.stderr)
            if progress and count % _PROGRESS_EVERY == 0:
                print(f"esfbank parse: {count} pages parsed", file=sys.stderr)
            yield record

    with writing_stdout():
        _write(records(), args.format, sys.stdout)
        sys.stdout.flush()
    return 1 if failed else 0
