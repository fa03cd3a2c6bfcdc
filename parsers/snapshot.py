"""Text snapshots: an optional header of `NAME: value` lines (`URL: <address>`), then the text.

Snapshots are the visible text of a page as a browser shows it, so their lines go through the
same label extraction as the lines of a saved HTML page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Header lines are upper-case names (`URL`, `TRUNCATED`, `FAMILY`): never a label of the site.
_HEADER = re.compile(r"^(?P<name>[A-Z][A-Z_-]{1,30}):[ \t]*(?P<value>.*)$")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The visible lines of a snapshot (stripped, no empty lines) and its `URL:` header."""

    lines: tuple[str, ...]
    url: str | None


def read_snapshot(text: str) -> Snapshot:
    """Split off the header (it ends at the first blank or non-header line) and the text lines."""
    raw = text.lstrip("\ufeff \t\r\n").splitlines()
    headers: dict[str, str] = {}
    body_start = 0
    for index, line in enumerate(raw):
        match = _HEADER.match(line.strip())
        if match is None:
            body_start = index
            break
        headers[match["name"]] = match["value"].strip()
        body_start = index + 1
    lines = tuple(stripped for line in raw[body_start:] if (stripped := line.strip()))
    return Snapshot(lines=lines, url=headers.get("URL") or None)
