"""What the spider hands the pipeline: the outcome of one fetch, as plain frozen data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchedPage:
    """A page answered 200: archived already, to be parsed and loaded. A legacy page read from
    an Internet Archive capture has its original esf.se address as `url` and the capture's as
    `capture_url`."""

    url: str
    body: bytes
    content_type: str | None  # the server's header: HTML or not, and the charset it names
    fetched_at: dt.datetime
    archive_key: str | None
    etag: str | None
    last_modified: str | None
    sitemap_lastmod: str | None
    capture_url: str | None = None
    captured_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """Pages known unchanged without downloading them: sitemap lastmod unchanged, or a 304.

    One item for all the pages a sitemap lets us skip: Scrapy's per-item machinery (signals,
    logging, pipeline hand-off) would otherwise be most of a no-change night's crawl."""

    urls: tuple[str, ...]
    not_modified: bool
    sitemap_lastmod: str | None = None  # of a 304: the lastmod it is listed with now
    # Where skipped URLs that redirect lead: seen with them (so not taken for removed), but not
    # counted, since no request for them was saved.
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Gone:
    """A page answered 404 or 410: flagged removed when the run ends, unless the mass-removal
    guard refuses the run's removals."""

    url: str
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirected:
    """A fetch of `url` ended at `target` after redirects (the target's outcome is its own item):
    `url`'s state then points at the target, so the next night can skip it or ask for it with
    the target's validators instead of downloading the target again."""

    url: str
    target: str
    status: int  # of the first redirect; 200 for a page that redirects by meta refresh
    fetched_at: dt.datetime | None
    sitemap_lastmod: str | None


@dataclass(frozen=True, slots=True)
class FetchFailed:
    """A page that could not be fetched after retries (or was refused): quarantined, counted."""

    url: str
    reason: str
    archive_key: str | None = None


CrawlItem = FetchedPage | Seen | Gone | Redirected | FetchFailed
