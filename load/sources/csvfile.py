"""A source's CSV file read as a stream: encoding, separator and header found, rows numbered.

The file is read twice at most: once to check that it is UTF-8 (else it is cp1252, as files
saved by Excel on Windows are), once to hand out rows. Neither pass holds more than a chunk
and a row, so a 50 MB file takes as little memory as a small one.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

_CHUNK = 1 << 20
_BOM = codecs.BOM_UTF8
_SPACE = re.compile(r"\s+")
# Fields of several MB (a summary pasted whole, a runaway quote) are read, not refused.
csv.field_size_limit(min(sys.maxsize, 1 << 31 - 1))


class NotTheFormatError(Exception):
    """The file as a whole is not what the import reads (empty, binary, no key column)."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One row: `values` by field name (as written), or `problem` when it could not be read
    whole. `line` is the physical line the row starts on (1 is the header)."""

    line: int
    values: Mapping[str, str]
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Header:
    encoding: str
    delimiter: str
    fields: Mapping[int, str]  # column position → field name
    labels: Mapping[str, str]  # field name → its header cell as written, for messages


def header_key(text: str) -> str:
    """A header cell (or half of one) as compared: case, spacing and `_` folded."""
    return _SPACE.sub(" ", text.replace("_", " ")).strip().casefold()


def detect_encoding(path: Path) -> str:
    """`utf-8-sig` with a BOM, `utf-8` when every byte decodes so, else `cp1252` (or latin-1
    for bytes cp1252 leaves undefined)."""
    with path.open("rb") as stream:
        if stream.read(len(_BOM)) == _BOM:
            return "utf-8-sig"
        stream.seek(0)
        decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        stream.seek(0)
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
        except UnicodeDecodeError:
            return "latin-1"
    return "cp1252"


def _field_of(cell: str, aliases: Mapping[str, str]) -> str | None:
    """The field a header cell names: the whole cell, or either half of `Svenska / English`."""
    for part in (cell, *cell.split("/")):
        field = aliases.get(header_key(part))
        if field is not None:
            return field
    return None


@contextmanager
def open_csv(
    path: Path, aliases: Mapping[str, str], *, key: str, what: str
) -> Iterator[tuple[Header, Iterator[CsvRow]]]:
    """Open `path`, read its header and yield it with an iterator over the rows.

    `aliases` maps folded header names to field names; `key` is the field a file of this kind
    cannot lack. Raises NotTheFormatError (naming the file) before any row is read when the file
    is empty, binary, or has no `key` column."""
    try:
        if path.stat().st_size == 0:
            raise NotTheFormatError(f"{path}: empty file, expected {what}")
        encoding = detect_encoding(path)
        stream = path.open(encoding=encoding, newline="")
    except OSError as exc:
        raise NotTheFormatError(f"{path}: cannot read: {exc.strerror}") from None
    with stream:
        first = stream.readline()
        if "\x00" in first:
            raise NotTheFormatError(f"{path}: binary file, expected {what}")
        if not first.strip():
            raise NotTheFormatError(f"{path}: no header line, expected {what}")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        cells = next(csv.reader([first], delimiter=delimiter))
        fields: dict[int, str] = {}
        for position, cell in enumerate(cells):
            field = _field_of(cell, aliases)
            if field is not None and field not in fields.values():
                fields[position] = field
        if key not in fields.values():
            raise NotTheFormatError(
                f"{path}: not {what}: no {key} column in its header ({first.strip()[:120]!r})"
            )
        labels = {field: cells[i].strip() for i, field in fields.items()}
        header = Header(encoding=encoding, delimiter=delimiter, fields=fields, labels=labels)
        yield header, _rows(stream, header, len(cells))


def _rows(stream: TextIO, header: Header, width: int) -> Iterator[CsvRow]:
    reader = csv.reader(stream, delimiter=header.delimiter, strict=True)
    done = 1  # physical lines read: the header
    while True:
        start = done + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield CsvRow(start, {}, f"unreadable row ({exc}): a truncated file or a stray quote")
            if 1 + reader.line_num == done:  # no progress: stop rather than loop
                return
            done = 1 + reader.line_num
            continue
        done = 1 + reader.line_num
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        if len(cells) != width:
            yield CsvRow(start, {}, f"{len(cells)} fields where the header has {width}")
            continue
        yield CsvRow(start, {field: cells[i] for i, field in header.fields.items()})
