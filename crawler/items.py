"""What the spider hands the pipeline: the outcome of one fetch, as plain frozen data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchedPage:
    """A page answered 200: archived already, to be parsed and loaded."""

    url: str
    body: bytes
    is_html: bool
    fetched_at: dt.datetime
    archive_key: str | None
    etag: str | None
    last_modified: str | None
    sitemap_lastmod: str | None


@dataclass(frozen=True, slots=True)
class Seen:
    """A page known unchanged without downloading it: sitemap lastmod unchanged, or a 304."""

    url: str
    not_modified: bool


@dataclass(frozen=True, slots=True)
class Gone:
    """A page answered 404 or 410: flagged removed."""

    url: str
    status: int


@dataclass(frozen=True, slots=True)
class FetchFailed:
    """A page that could not be fetched after retries (or was refused): quarantined, counted."""

    url: str
    reason: str
    archive_key: str | None = None


CrawlItem = FetchedPage | Seen | Gone | FetchFailed
