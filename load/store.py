"""The store API: the one door through which the crawler and `esfbank load` write the database.

    store = open_store(url)                 # DatabaseUnavailableError when the URL does not work
    run_id = store.begin_run("crawl")
    counts = store.upsert(items, run_id)     # LoadItem per fetched/parsed page
    store.touch_seen(urls, run_id)          # skipped because the sitemap lastmod did not change
    store.mark_removed(urls, run_id)        # 404/410, or no longer listed in a complete run
    store.finish_run(run_id, "ok", RunCounts(...))
    store.close()

Writes happen in one transaction per batch; writers serialise (SQLite BEGIN IMMEDIATE,
PostgreSQL transaction advisory lock), so two loaders never fail each other or lose rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from parsers.records import Record


class StoreError(Exception):
    """Base of the errors the store raises on purpose."""


class DatabaseUnavailableError(StoreError):
    """The database URL does not work (bad URL, server down, not migrated): one clear line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadItem:
    """One parsed page on its way in, with what the fetch knew about it.

    `url` is the page's URL (None only for a saved file with no URL: a project with a number
    still loads, its url_state is not kept). `sitemap_lastmod` is the sitemap's value as given.
    """

    record: Record
    url: str | None = None
    fetched_at: dt.datetime | None = None
    archive_key: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    sitemap_lastmod: str | None = None


@dataclass(slots=True)
class UpsertCounts:
    """What one `upsert` call did; `skipped` counts calls/listings/other (url_state only)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.skipped += other.skipped


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCounts:
    """The counts a run reports when it finishes (stored on crawl_runs)."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlState:
    """What the last fetch of a URL left behind: enough for a conditional request."""

    url: str
    kind: str | None
    http_status: int | None
    etag: str | None
    last_modified: str | None
    sitemap_lastmod: str | None
    content_hash: str | None
    archive_key: str | None
    last_fetched_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    removed: bool


class Store:
    """A migrated database, opened. Not thread-safe; one per process or thread."""

    def begin_run(self, kind: str) -> int:
        """Start a crawl run (`crawl`, `backfill`, `load`, `reparse`, ...); returns its id."""
        raise NotImplementedError

    def finish_run(self, run_id: int, status: str, counts: RunCounts) -> None:
        """Close a run with its status (`ok`, `failed`, `interrupted`) and counts."""
        raise NotImplementedError

    def upsert(
        self, items: Iterable[LoadItem], run_id: int, *, batch_size: int = 1000
    ) -> UpsertCounts:
        """Load projects and news; bookkeeping only for unchanged ones; bad ones to parse_errors."""
        raise NotImplementedError

    def url_states(self, urls: Iterable[str]) -> Mapping[str, UrlState]:
        """The stored state of these URLs (absent ones are left out), for conditional requests."""
        raise NotImplementedError

    def touch_seen(self, urls: Iterable[str], run_id: int) -> None:
        """Mark URLs seen without a fetch (sitemap lastmod unchanged, 304): they are not removed."""
        raise NotImplementedError

    def mark_removed(self, urls: Iterable[str], run_id: int) -> int:
        """Flag URLs (and the projects/news they carry) removed, never deleted; returns how many."""
        raise NotImplementedError

    def quarantine(
        self, run_id: int, *, source: str, message: str, archive_key: str | None = None
    ) -> None:
        """Record a page that failed before it became a record (fetch or parser crash)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the connections."""
        raise NotImplementedError


def open_store(url: str) -> Store:
    """Open a migrated database; raises DatabaseUnavailableError naming the URL and the reason."""
    raise NotImplementedError
