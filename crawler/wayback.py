"""The legacy bank from the Internet Archive: CDX index queries, their answers, capture addresses.

The legacy pages (2007–2013 `Behallare-for-projekt`, the old 2014–2020 `Alla-Projekt` slugs, old
regional and national news) are gone from the live site; the Wayback Machine keeps them. Its CDX
index lists the captures under a URL prefix as JSON (a list whose first row names the fields).
`collapse=urlkey` would keep each URL's OLDEST capture, so no collapse is asked for: the newest
200 capture per URL is picked here. A capture is fetched raw (`<timestamp>id_/<original>`), not
wrapped in the archive's toolbar.

Pure functions over strings and bytes, so the spider only fetches and each rule is testable
without a reactor.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

DEFAULT_WAYBACK_URL = "https://web.archive.org"
# The download slot every request to the archive goes through: one at a time, with its own delay
# (crawler.settings sets DOWNLOAD_SLOTS for it), whatever the site's concurrency.
DOWNLOAD_SLOT = "wayback"
# The host the archive's index knows the site under (it folds `www.` and the scheme itself).
ARCHIVED_HOST = "www.esf.se"
FIELDS = ("urlkey", "timestamp", "original", "statuscode")
# An index answer lists every capture under a prefix (a few hundred bytes a row, tens of
# thousands of rows for the 2007–2013 bank): more than a page's cap, so it has its own.
INDEX_MAX_BYTES = 100 * 1024 * 1024

# Each legacy prefix with the pages under it worth loading (listings under a prefix are not).
LEGACY_SOURCES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (prefix, re.compile(page, re.IGNORECASE))
    for prefix, page in (
        (
            "/sv/Resultat/Projektbanken/Behallare-for-projekt/",
            r"^/sv/Resultat/Projektbanken/Behallare-for-projekt/[^/?]+/[^/?]+/?$",
        ),
        (
            "/Resultat/Projektbanken/Behallare-for-projekt/",
            r"^/Resultat/Projektbanken/Behallare-for-projekt/[^/?]+/[^/?]+/?$",
        ),
        (
            "/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/",
            r"^/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/[^/?]+/?$",
        ),
        ("/sv/Min-region/", r"^/sv/Min-region/[^/?]+/Nyheter2/[^/?]+/?$"),
        ("/Om-ESF-radet/Nyheter/Aktuellt2/", r"^/Om-ESF-radet/Nyheter/Aktuellt2/[^/?]+/?$"),
    )
)
_TIMESTAMP = re.compile(r"^\d{14}$")
_CAPTURE = re.compile(r"/web/(\d{14})id_/")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class CdxError(ValueError):
    """An index answer that cannot be read, or that lists no capture at all."""


@dataclass(frozen=True, slots=True)
class Capture:
    """The newest 200 capture of a legacy page: `original` is its esf.se address."""

    original: str
    timestamp: str  # 14 digits, UTC, as the archive gives it

    @property
    def captured_at(self) -> dt.datetime:
        return timestamp_time(self.timestamp)


def cdx_query_url(wayback_url: str, prefix: str) -> str:
    """The index query for every 200 capture under a legacy prefix, oldest first, uncollapsed."""
    query = urlencode(
        {
            "url": f"{ARCHIVED_HOST}{prefix}",
            "matchType": "prefix",
            "output": "json",
            "fl": ",".join(FIELDS),
            "filter": "statuscode:200",
        }
    )
    return f"{wayback_url.rstrip('/')}/cdx/search/cdx?{query}"


def capture_url(wayback_url: str, capture: Capture) -> str:
    """The raw bytes of a capture, as captured (`id_`: no toolbar, links not rewritten)."""
    return f"{wayback_url.rstrip('/')}/web/{capture.timestamp}id_/{capture.original}"


def capture_time(url: str) -> dt.datetime | None:
    """When a capture address (after any redirect the archive made) was captured; None when
    the address does not say."""
    found = _CAPTURE.search(url)
    try:
        return timestamp_time(found.group(1)) if found else None
    except CdxError:
        return None


def timestamp_time(timestamp: str) -> dt.datetime:
    if not _TIMESTAMP.match(timestamp):
        raise CdxError(f"timestamp {timestamp!r} is not 14 digits")
    try:
        return dt.datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        raise CdxError(f"timestamp {timestamp!r} is not a date and time") from None


def newest_captures(body: bytes, page: re.Pattern[str]) -> list[Capture]:
    """The newest capture of each page the answer lists whose path matches `page`, by URL.

    Raises CdxError for an answer that is not the index's JSON table, or that has no capture of
    such a page: an empty index means the archive (or the query) is not what we think it is.
    """
    rows = _rows(body)
    newest: dict[str, Capture] = {}
    for row in rows:
        original = original_address(row["original"])
        if row.get("statuscode", "200") != "200" or not page.match(urlsplit(original).path):
            continue
        timestamp_time(row["timestamp"])  # a malformed timestamp is a malformed answer
        key = row.get("urlkey") or original.lower()
        known = newest.get(key)
        if known is None or row["timestamp"] > known.timestamp:
            newest[key] = Capture(original, row["timestamp"])
    if not newest:
        raise CdxError(f"no capture of a legacy page among its {len(rows)} rows")
    return sorted(newest.values(), key=lambda c: c.original)


def original_address(url: str) -> str:
    """The esf.se address a capture was taken of, without a default port or fragment."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise CdxError(f"original {url!r} is not an http(s) address")
    netloc = parts.netloc
    if parts.port == _DEFAULT_PORTS[parts.scheme]:
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _rows(body: bytes) -> list[dict[str, str]]:
    """The answer's rows as field → value, checked against the header row."""
    try:
        table = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CdxError(f"not JSON: {exc}") from None
    if not isinstance(table, list):
        raise CdxError(f"not a JSON list but {type(table).__name__}")
    if not table:
        raise CdxError("empty answer ([]): no captures")
    header, *rows = table
    if not _strings(header) or not {"timestamp", "original"} <= set(header):
        raise CdxError(f"first row {header!r} does not name the timestamp and original fields")
    found = []
    for number, row in enumerate(rows, start=2):
        if not _strings(row) or len(row) != len(header):
            raise CdxError(f"row {number} {row!r} does not match the fields {header!r}")
        found.append(dict(zip(header, row, strict=True)))
    return found


def _strings(row: object) -> bool:
    return isinstance(row, list) and all(isinstance(v, str) for v in row)
