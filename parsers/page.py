"""Entry points: saved page (HTML bytes or a text snapshot) in, exactly one typed record out.

Never raises for bad input: an unreadable page gives `PageRecord(kind="other")` with an error.
HTML and text snapshots meet as visible text lines, so both parse through the same code.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

from parsers.decoding import decode_page, utf16_as_utf8
from parsers.detect import detect_kind, find_heading
from parsers.html_text import visible_text
from parsers.labels import FieldBlock, extract_fields
from parsers.news import parse_news
from parsers.project import parse_project
from parsers.records import FieldError, PageRecord, Record, Source
from parsers.snapshot import read_snapshot
from parsers.urls import url_problem
from parsers.vocabulary import is_chrome

# Markup from the first byte (after a BOM, blanks or comments): a snapshot starts with text.
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<[!?a-zA-Z]", re.S)
_HTML_OPEN = re.compile(rb"<html\b", re.I)
_HTML_CLOSE = rb"</html\s*>"  # compiled on first use: `_closed` seldom needs it
_CONTROL = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_SNIFF = 8192
_MAX_CONTROL_SHARE = 0.02


def _unreadable(source: Source, message: str) -> PageRecord:
    return PageRecord(
        source=source, kind="other", errors=(FieldError("page", None, None, message),)
    )


def _looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF]
    # Most pages hold no control byte at all: a search for each (memchr) costs a fraction of
    # counting them all (translate reads the head byte by byte).
    if not any(byte in head for byte in _CONTROL):
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return b"\x00" in head or controls > _MAX_CONTROL_SHARE * len(head)


def _page_title(lines: Sequence[str], block: FieldBlock, kind: str) -> str | None:
    """A call's title is right above its fields; other pages' is their first non-chrome line."""
    if kind == "call" and block.pairs:
        return next((line for line in reversed(lines[: block.start]) if not is_chrome(line)), None)
    return next((line for line in lines if not is_chrome(line)), None)


def parse_lines(lines: Sequence[str], source: Source) -> Record:
    """Parse a page's visible text lines (stripped, without empty lines)."""
    if not lines:
        return _unreadable(source, "no visible text on the page")
    block = extract_fields(lines)
    heading = find_heading(lines, block.start)
    kind = detect_kind(lines, source.url, block, heading)
    if kind == "project":
        return parse_project(lines, source, block, heading)
    if kind == "news":
        return parse_news(lines, source)
    return PageRecord(source=source, kind=kind, title=_page_title(lines, block, kind))


def parse_bytes(
    data: bytes, source: Source, *, is_html: bool | None = None, charset: str | None = None
) -> Record:
    """Decode (parsers.decoding; `charset` as the server's Content-Type header named it),
    detect HTML vs text snapshot unless told, and parse.

    `source.url` (the crawl's URL) wins over the page's own; otherwise the page's canonical
    link or `URL:` header becomes the record's `source_url`, or a `source_url` error if it
    cannot be read as a URL. Bytes that did not decode cleanly, and a page cut off before
    `</html>`, add a `page` error to the record.
    """
    data = utf16_as_utf8(data)
    if not data or data.isspace():  # the whitespace `bytes.strip` strips, without a copy
        return _unreadable(source, "empty file")
    if _looks_binary(data):
        return _unreadable(source, "binary data, not a saved page or text snapshot")
    if is_html is None:
        is_html = _HTML_START.match(data[:_SNIFF]) is not None
    decoded = decode_page(data, html=is_html, charset=charset)
    if is_html:
        try:
            page = visible_text(decoded.text, data if decoded.utf8 else None)
        except ValueError as exc:
            return _unreadable(source, str(exc))
        lines, url = page.lines, page.canonical_url
    else:
        snapshot = read_snapshot(decoded.text)
        lines, url = snapshot.lines, snapshot.url
    problems = []
    if source.url is None and url is not None:
        if (unreadable := url_problem(url)) is None:
            source = dataclasses.replace(source, url=url)
        else:
            problems.append(FieldError("source_url", None, url, unreadable))
    record = parse_lines(lines, source)
    if decoded.problem is not None:
        problems.append(FieldError("page", None, decoded.context, decoded.problem))
    if is_html and _HTML_OPEN.search(data[:_SNIFF]) and not _closed(data[-_SNIFF:]):
        problems.append(FieldError("page", None, None, "the page is cut off: no closing </html>"))
    if problems:
        record = dataclasses.replace(record, errors=(*record.errors, *problems))
    return record


def _closed(tail: bytes) -> bool:
    """`re.search(_HTML_CLOSE, tail, re.I)`, faster: the case-blind regex tries each of the
    8 KB, while a plain `</html>`, which almost every page ends with, is found at once searching
    backwards."""
    if tail.rfind(b"</html>") >= 0 or tail.rfind(b"</HTML>") >= 0:
        return True
    return re.search(_HTML_CLOSE, tail, re.I) is not None


def parse_path(path: Path, *, display_path: str | None = None) -> Record:
    """Read a `.html` or `.txt` file; `source.path` is `display_path` or the path as given."""
    source = Source(path=display_path if display_path is not None else str(path))
    try:
        data = path.read_bytes()
    except IsADirectoryError:  # `esfbank parse` passes a folder on when it holds no page
        return _unreadable(source, "a folder with no saved pages (.html, .htm, .txt) in it")
    except OSError as exc:
        return _unreadable(source, f"cannot read the file: {exc.strerror or exc}")
    try:
        return parse_bytes(data, source)  # sniffed: a `.txt` may hold HTML and vice versa
    except Exception as exc:  # a parser bug: this file says so, the others are read on
        return _unreadable(source, crash_message(exc))


def crash_message(exc: Exception) -> str:
    """What a page the parser crashed on is quarantined with (files, crawl and reparse)."""
    return f"parser crashed: {type(exc).__name__}: {exc}"
