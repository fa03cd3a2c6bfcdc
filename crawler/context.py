"""What one crawl run shares between spider, middlewares, pipeline and progress reporter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from crawler.journal import Journal
from crawler.removal import DEFAULT_MAX_SHARE
from load.archive import Archive
from load.store import RunCounts, Store, UpsertCounts

Mode = Literal["incremental", "full", "discover"]


@dataclass(frozen=True, slots=True)
class CrawlOptions:
    """`mode` incremental is the nightly crawl; full is backfill; discover is the dry run of
    `esfbank discover` (listings read, pages only noted). `seeds` restrict the crawl.
    `wayback_url`: also load the legacy bank from that Internet Archive (backfill --wayback).
    The mass-removal guard refuses a run that would flag more than `max_removed_share` of the
    live pages (or of one family) removed, unless `allow_mass_removal`."""

    base_url: str
    mode: Mode = "incremental"
    seeds: tuple[str, ...] = ()
    wayback_url: str | None = None
    max_removed_share: float = DEFAULT_MAX_SHARE
    allow_mass_removal: bool = False

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental"


@dataclass(slots=True)
class Tally:
    """Running counts of the run; `pages_done` drives the progress line."""

    fetched: int = 0  # pages downloaded in full (200)
    seen_unchanged: int = 0  # skipped by sitemap lastmod, or answered 304
    not_modified: int = 0  # of those, the ones answered 304
    gone: int = 0  # answered 404/410
    fetch_failed: int = 0  # no usable answer after retries, or refused (too big, redirect loop)
    robots_blocked: int = 0
    loaded: UpsertCounts = field(default_factory=UpsertCounts)
    removed: int = 0

    @property
    def pages_done(self) -> int:
        return self.fetched + self.seen_unchanged + self.gone + self.fetch_failed

    @property
    def failed(self) -> int:
        return self.fetch_failed + self.loaded.failed

    def run_counts(self) -> RunCounts:
        return RunCounts(
            fetched=self.fetched,
            new=self.loaded.new,
            changed=self.loaded.changed,
            unchanged=self.loaded.unchanged + self.seen_unchanged,
            removed=self.removed,
            failed=self.failed,
        )


@dataclass(slots=True)
class CrawlContext:
    """Resources and state of one run. `listed` is every URL a discovery source named.

    A dry run (`esfbank discover`) has no archive and no database; `found` maps each URL it
    would crawl to the source that named it (a sitemap, a listing, the seed list)."""

    options: CrawlOptions
    archive: Archive | None
    store: Store | None
    run_id: int
    journal: Journal | None = None
    done: dict[str, str | None] = field(default_factory=dict)  # finished before a resume
    tally: Tally = field(default_factory=Tally)
    listed: set[str] = field(default_factory=set)
    gone: list[str] = field(default_factory=list)  # answered 404/410: removed when the run ends
    discovery_failures: list[str] = field(default_factory=list)
    # robots.txt as the spider read it for discovery, by host: the robots middleware checks
    # requests against it instead of fetching robots.txt a second time.
    robots_txt: dict[str, bytes] = field(default_factory=dict)
    # robots.txt's Crawl-delay by host, when it asks for one (crawler.middlewares obeys it).
    crawl_delay: dict[str, float] = field(default_factory=dict)
    found: dict[str, str] | None = None
    database_error: str | None = None  # set when a write failed and the crawl was stopped
