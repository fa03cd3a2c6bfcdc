"""Entry points: saved page (HTML bytes or a text snapshot) in, exactly one typed record out.

Never raises for bad input: an unreadable page gives `PageRecord(kind="other")` with an error.
"""

from __future__ import annotations

from pathlib import Path

from parsers.records import Record, Source


def parse_bytes(data: bytes, source: Source, *, is_html: bool | None = None) -> Record:
    """Decode (UTF-8, else cp1252), detect HTML vs text snapshot unless told, and parse."""
    raise NotImplementedError


def parse_path(path: Path, *, display_path: str | None = None) -> Record:
    """Read a `.html` or `.txt` file; `source.path` is `display_path` or the path as given."""
    raise NotImplementedError
