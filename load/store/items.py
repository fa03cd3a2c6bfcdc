"""What goes in and out of the store: pages to load, redirects, URL states and counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from parsers.records import Record, pickled_by_fields

UPSERT_BATCH = 1000  # records per transaction; parse workers run this far ahead of the writer
# Records per transaction on PostgreSQL, where each bulk statement has a fixed cost besides
# its rows (COPY's buffer of a thousand row slots, the key triggers' queries, the commit):
# about 35 ms a batch, a sixth of a first load in batches of 1,000 (bench_upsert; SQLite's
# load time does not change with the batch size).
POSTGRES_UPSERT_BATCH = 5000
# The first batch of a PostgreSQL load of items at hand is this share of the others: the server
# idles while it is planned and its rows made, and the batches after it are planned while the
# server stores the one before (`Store._write`). Paired first loads of 10,000 records: 0.880 ->
# 0.842 s (medians, 9 of 10 faster); with real pages' sections 3.10 -> 2.98 s (4 of 6).
POSTGRES_FIRST_BATCH_SHARE = 5
# Seconds between the GIL's hand-overs during a PostgreSQL load (Python's default is 0.005):
# see `Store._making_vectors`.
POSTGRES_SWITCH_INTERVAL = 0.0005


@pickled_by_fields
@dataclass(frozen=True, slots=True, kw_only=True)
class LoadItem:
    """One parsed page on its way in, with what the fetch knew about it.

    `url` is the page's URL; when None, the record's `source.url` is used. A project with a
    number loads without any URL (its url_state is then not kept); news and numberless 2007
    projects need one. `sitemap_lastmod` is the sitemap's value as given. `capture_url` and
    `captured_at`: the Internet Archive capture a legacy page was loaded from (its `url` is the
    original esf.se address).
    """

    record: Record
    url: str | None = None
    fetched_at: dt.datetime | None = None
    archive_key: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    sitemap_lastmod: str | None = None
    capture_url: str | None = None
    captured_at: dt.datetime | None = None

    @property
    def page_url(self) -> str | None:
        return self.url or self.record.source.url


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
    removals_withheld: int = 0  # what the mass-removal guard refused to flag
    removal_refusal: str | None = None  # and why


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
    redirected_to: str | None = None
    capture_url: str | None = None  # loaded from this Internet Archive capture: history


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirect:
    """A fetch of `url` that ended at `target` after redirects: `url`'s own url_state row then
    points at the target (whose row holds the validators and the record) and carries nothing.

    `http_status` is the first redirect's status; `sitemap_lastmod` the one `url` was listed
    with (None keeps the stored one, as for a fetched page)."""

    url: str
    target: str
    http_status: int
    fetched_at: dt.datetime | None
    sitemap_lastmod: str | None
