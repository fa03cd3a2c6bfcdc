"""`esfbank parse PATH...`: saved pages to records on stdout, one per input, in input order.

Imports only the parsers (no Scrapy, no SQLAlchemy) so that it starts fast. Every record error
is also one line on stderr naming the file, field, label and value; the exit code is 1 when any
input had errors.

Pages are parsed by `--jobs` worker processes (default: one per core), each rendering its record
as the text this process writes, so the output is the one `--jobs 1` gives, in input order. A
handful of files is parsed here: starting workers would cost more than it saves.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from esfbank import config
from esfbank.commands._options import add_jobs_option
from esfbank.errors import UsageError, writing_stdout

FORMATS = ("jsonl", "json", "table")
PAGE_SUFFIXES = frozenset({".html", ".htm", ".txt"})
_PROGRESS_EVERY = 500
# Fewer pages than this are parsed in this process whatever --jobs says. Workers cost CPU before
# they parse (forking; each worker's first page touching memory it shares with this process)
# while a page costs ~1 ms: on 2 cores they paid for themselves from some 60-80 pages with the
# process pool used before (~30-40 ms, importing multiprocessing among it; esfbank/parallel.py
# now forks its own workers), and not at all on a machine already busy.
MIN_PAGES_FOR_WORKERS = 64
# Pages per worker task at most: a task takes ~20 ms, so the workers end within that of each
# other (64, the map's default, left one idle up to 70 ms at the end of a run).
_PAGES_PER_TASK = 16
# Pieces (pages, and a JSON array's separators) joined into one write to stdout.
_PIECES_PER_WRITE = 32
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
    add_jobs_option(p)
    p.set_defaults(run=run)


def expand_paths(paths: Iterable[str]) -> Iterator[tuple[Path, str]]:
    """(file, path as given) pairs; a folder gives its pages (recursively) in sorted order.

    A folder without pages is passed on as it is: reading it fails, so it gets its record and
    error like any unreadable input. The file is always `Path(given)`.
    """
    for given in paths:
        path = Path(given)
        pages = sorted(_pages_in(path), key=_path_order) if path.is_dir() else []
        if pages:
            yield from ((page, str(page)) for page in pages)
        else:
            yield path, given


def _pages_in(folder: Path) -> Iterator[Path]:
    """The files with a page suffix that `folder.rglob("*")` finds, read faster: directory
    entries tell files from folders without a stat each, and only pages and folders become
    Paths (~35M instructions fewer for 1,000 pages, all before any worker starts). As rglob,
    it does not enter symlinked folders and skips a folder it may not read."""
    try:
        with os.scandir(folder) as scan:
            entries = list(scan)
    except PermissionError:
        return
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            yield from _pages_in(folder / entry.name)
        elif _suffix(entry.name).lower() in PAGE_SUFFIXES and entry.is_file():
            yield folder / entry.name


def _suffix(name: str) -> str:
    """`PurePath(name).suffix`."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _path_order(path: Path) -> list[str]:
    """The order of Path's own comparison (its case-normalised parts), compared in C: sorting
    1,000 Paths by their Python-level `<` cost ~27M instructions of the parent's start-up."""
    return os.path.normcase(path).split(os.sep)


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


# A rendered page: its text for stdout (a JSON line, an indented array item or a table row),
# encoded as stdout encodes text, and its error lines for stderr. Workers send bytes, which the
# writer passes to stdout's buffer as they are: text would be decoded from the worker's message
# and encoded again on its way out, both in the one writer process.
Rendered = tuple[bytes, list[str]]


def render(fmt: str, given: str) -> Rendered:
    """One saved page (a path as `expand_paths` gives it) parsed and rendered in `fmt` (in a
    parse worker when there are several: a string is sent to it, cheaper to pickle than a Path).
    """
    from parsers.page import parse_path
    from parsers.records import to_json_dict

    record = to_json_dict(parse_path(Path(given), display_path=given))
    if fmt == "jsonl":
        text = json.dumps(record, ensure_ascii=False) + "\n"
    elif fmt == "json":  # as json.dump(records, indent=2) writes an item of its array
        text = "  " + json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    else:
        text = _table_row(record) + "\n"
    return _encoded(text), list(error_lines(given, record["errors"]))


def _encoded(text: str) -> bytes:
    """`text` as stdout writes it (a forked worker's stdout is the writer's)."""
    return text.encode(sys.stdout.encoding, sys.stdout.errors or "strict")


def _write(data: Iterable[bytes], fmt: str, out: BinaryIO) -> None:
    """The rendered pages, in the format's frame, a few pages a write: stdout may be
    unbuffered (PYTHONUNBUFFERED, common in containers), a system call for each write."""
    pieces = _framed(data, fmt)
    while group := list(islice(pieces, _PIECES_PER_WRITE)):
        out.write(b"".join(group))


def _framed(data: Iterable[bytes], fmt: str) -> Iterator[bytes]:
    if fmt == "json":
        yield _encoded("[")
        separator, between = _encoded("\n"), _encoded(",\n")
        for chunk in data:
            yield separator
            yield chunk
            separator = between
        yield _encoded("\n]\n" if separator is between else "]\n")
        return
    if fmt == "table":
        header = "  ".join(name[:width].ljust(width) for name, width in _TABLE_COLUMNS)
        yield _encoded(f"{header}  source_path\n")
    yield from data


def run(args: argparse.Namespace) -> int:
    if args.format not in FORMATS:
        raise UsageError(f"unknown --format {args.format!r}: choose one of {', '.join(FORMATS)}")
    if not args.paths:
        raise UsageError("give at least one saved page or folder to parse")
    from esfbank.parallel import ordered_map

    pages = [given for _, given in expand_paths(args.paths)]
    jobs = config.jobs(args.jobs)
    if len(pages) < MIN_PAGES_FOR_WORKERS:
        jobs = 1
    failed = 0
    progress = sys.stderr.isatty()

    def texts(rendered: Iterable[Rendered]) -> Iterator[bytes]:
        nonlocal failed
        for count, (text, errors) in enumerate(rendered, start=1):
            if errors:
                failed += 1
                for line in errors:
                    print(line, file=sys.stderr)
            if progress and count % _PROGRESS_EVERY == 0:
                print(f"esfbank parse: {count} pages parsed", file=sys.stderr)
            yield text

    preload = ("parsers.page", "parsers.records")
    render_in = partial(render, args.format)
    with (
        ordered_map(render_in, pages, jobs, preload=preload, max_chunk=_PAGES_PER_TASK) as rendered,
        writing_stdout(),
    ):
        sys.stdout.flush()  # what its text layer holds goes first
        _write(texts(rendered), args.format, sys.stdout.buffer)
        sys.stdout.flush()
    return 1 if failed else 0
