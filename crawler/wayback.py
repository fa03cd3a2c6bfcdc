"""The legacy bank from the Internet Archive: CDX index queries, their answers, capture addresses.

The legacy pages (2007–2013 `Behallare-for-projekt`, the old 2014–2020 `Alla-Projekt` slugs, old
regional and national news) are gone from the live site; the Wayback Machine keeps them. Its CDX
index lists the captures under a URL prefix as JSON (a list whose first row names the fields).
`collapse=urlkey` would keep each URL's OLDEST capture, so no collapse is asked for: the newest
200 capture per URL is picked here, over every answer of the index. An answer holds at most
`CDX_ROWS_PER_ANSWER` rows: asked with `showResumeKey=true`, one that stops short ends with an
empty row and a row holding the key the next query resumes from (`resumeKey=`), as the index's
server documents it. A capture is fetched raw (`<timestamp>id_/<original>`), not wrapped in the
archive's toolbar.

Pure functions over strings and bytes, so the spider only fetches and each rule is testable
without a reactor.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
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
# Rows asked of the index per answer (some 150 bytes each). The archive caps an answer anyway,
# and times a long one out: a capped answer read as the whole index would lose every page after
# the cap, so the index is read an answer at a time, each resuming where the last stopped.
CDX_ROWS_PER_ANSWER = 10_000

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


def cdx_query_url(wayback_url: str, prefix: str, resume_key: str | None = None) -> str:
    """The index query for every 200 capture under a legacy prefix, oldest first, uncollapsed:
    its first answer, or the one after `resume_key` (which the answer before ended with)."""
    params = {
        "url": f"{ARCHIVED_HOST}{prefix}",
        "matchType": "prefix",
        "output": "json",
        "fl": ",".join(FIELDS),
        "filter": "statuscode:200",
        "limit": str(CDX_ROWS_PER_ANSWER),
        "showResumeKey": "true",
    }
    if resume_key is not None:
        params["resumeKey"] = resume_key
    return f"{wayback_url.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


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


@dataclass
class NewestCaptures:
    """The newest capture of each page under one legacy prefix whose path matches `page`, by
    URL, over the index's answers to the prefix's query, read one by one (`add`)."""

    page: re.Pattern[str]
    rows: int = 0  # rows read, in `answers` answers
    answers: int = 0
    _newest: dict[str, Capture] = field(default_factory=dict)
    _resume_key: str | None = None

    def add(self, body: bytes) -> str | None:
        """Read one answer; the key the next query resumes from, None after the last answer.

        Raises CdxError for an answer that is not the index's JSON table, and for a first
        answer that is empty: an empty index means the archive (or the query) is not what we
        think it is."""
        rows, resume_key = _answer(body, first=self.answers == 0)
        if resume_key is not None and resume_key == self._resume_key:
            raise CdxError(f"the index answered the resume key {resume_key!r} twice")
        self._resume_key = resume_key
        self.answers += 1
        self.rows += len(rows)
        for row in rows:
            original = original_address(row["original"])
            path = urlsplit(original).path
            if row.get("statuscode", "200") != "200" or not self.page.match(path):
                continue
            timestamp_time(row["timestamp"])  # a malformed timestamp is a malformed answer
            key = row.get("urlkey") or original.lower()
            known = self._newest.get(key)
            if known is None or row["timestamp"] > known.timestamp:
                self._newest[key] = Capture(original, row["timestamp"])
        return resume_key

    def captures(self) -> list[Capture]:
        """The newest captures, by address. Raises CdxError when the answers held none."""
        if not self._newest:
            raise CdxError(
                f"no capture of a legacy page among its {self.rows} rows"
                f" in {self.answers} answer{'s' if self.answers != 1 else ''}"
            )
        return sorted(self._newest.values(), key=lambda c: c.original)


def original_address(url: str) -> str:
    """The esf.se address a capture was taken of, without a default port or fragment."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise CdxError(f"original {url!r} is not an http(s) address")
    netloc = parts.netloc
    if parts.port == _DEFAULT_PORTS[parts.scheme]:
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _answer(body: bytes, *, first: bool) -> tuple[list[dict[str, str]], str | None]:
    """The answer's rows as field → value, checked against the header row, and the key it ends
    with (an empty row, then a row of the key alone) when more rows remain. A later answer may
    be empty (`[]`: the answer before ended at the last row)."""
    try:
        table = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CdxError(f"not JSON: {exc}") from None
    if not isinstance(table, list):
        raise CdxError(f"not a JSON list but {type(table).__name__}")
    if not table:
        if first:
            raise CdxError("empty answer ([]): no captures")
        return [], None
    resume_key = None
    if len(table) >= 3 and table[-2] == [] and _strings(table[-1]) and len(table[-1]) == 1:
        resume_key = table[-1][0]
        table = table[:-2]
    header, *rows = table
    if not _strings(header) or not {"timestamp", "original"} <= set(header):
        raise CdxError(f"first row {header!r} does not name the timestamp and original fields")
    found = []
    for number, row in enumerate(rows, start=2):
        if not _strings(row) or len(row) != len(header):
            raise CdxError(f"row {number} {row!r} does not match the fields {header!r}")
        found.append(dict(zip(header, row, strict=True)))
    return found, resume_key


def _strings(row: object) -> bool:
    return isinstance(row, list) and all(isinstance(v, str) for v in row)
