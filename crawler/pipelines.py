"""Parse fetched pages and load them in batches; keep url_state, removals and failures in step.

The raw response was archived by the downloader middleware before the spider saw it; here the
bytes become a record (parsers.page.parse_bytes never raises for bad input: a page it cannot read
carries `errors` and the store quarantines it). Outcomes are buffered and written together, one
transaction per batch, when the batch is full, when it has waited ESFBANK_BATCH_SECONDS, and
when the spider closes (Ctrl-C included). After a batch commits, a backfill's journal records
its URLs as done: the journal never runs ahead of the database.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from crawler.items import CrawlItem, FetchedPage, FetchFailed, Gone, Redirected, Seen
from crawler.parsing import load_item, parser_crash
from load.store import LoadItem, Redirect
from parsers.records import NewsRecord

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.context import CrawlContext
    from crawler.spiders.esf import EsfSpider

log = logging.getLogger(__name__)

DATABASE_ERROR = "database error"  # the finish reason of a crawl stopped by a failing database


@dataclass(slots=True)
class Batch:
    loads: list[LoadItem] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    lastmods: dict[str, str] = field(default_factory=dict)  # 304s: their sitemap lastmod now
    redirects: list[Redirect] = field(default_factory=list)
    failures: list[FetchFailed] = field(default_factory=list)
    done: list[tuple[str, str | None]] = field(default_factory=list)

    def __len__(self) -> int:
        # A redirect's source is not journalled (a resumed backfill asks for it again, so its
        # target is listed again), but it must be written.
        return len(self.done) + len(self.redirects)


class ArchiveParseLoadPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("ESFBANK_BATCH_SIZE")
        self.batch_seconds = crawler.settings.getfloat("ESFBANK_BATCH_SECONDS")
        self.batch = Batch()
        self.batch_started = time.monotonic()
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveParseLoadPipeline:
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        context: CrawlContext = self.crawler.spider.context  # type: ignore[union-attr]
        return context

    def process_item(self, item: CrawlItem) -> CrawlItem:
        if not self.batch:
            self.batch_started = time.monotonic()
        self._add(item)
        if (
            len(self.batch) >= self.batch_size
            or time.monotonic() - self.batch_started >= self.batch_seconds
        ):
            self.flush()
        return item

    def close_spider(self) -> None:
        self.closing = True
        self.flush()

    def _add(self, item: CrawlItem) -> None:
        tally = self.context.tally
        if isinstance(item, FetchedPage):
            tally.fetched += 1
            try:
                loaded = load_item(item)
                self.batch.loads.append(loaded)
                self._follow_numbers(loaded)
            except Exception as exc:  # a parser bug must not end the night's run: quarantine it
                log.exception("parser crashed on %s", item.url)
                tally.loaded.failed += 1
                self.batch.failures.append(parser_crash(item, exc))
            self.batch.done.append((item.url, item.archive_key))
        elif isinstance(item, Seen):
            tally.seen_unchanged += len(item.urls)
            tally.not_modified += len(item.urls) if item.not_modified else 0
            self.batch.seen.extend(item.urls)
            self.batch.seen.extend(item.targets)
            if item.not_modified and item.sitemap_lastmod is not None:
                self.batch.lastmods.update(dict.fromkeys(item.urls, item.sitemap_lastmod))
            self.batch.done.extend((url, None) for url in item.urls)
        elif isinstance(item, Redirected):
            self.batch.redirects.append(
                Redirect(
                    url=item.url,
                    target=item.target,
                    http_status=item.status,
                    fetched_at=item.fetched_at,
                    sitemap_lastmod=item.sitemap_lastmod,
                )
            )
        elif isinstance(item, Gone):
            # Held back until the run ends, so the mass-removal guard can count them all; not
            # journalled, so a resumed backfill asks again (a 404 is cheap) rather than lose it.
            tally.gone += 1
            self.context.gone.append(item.url)
        else:
            tally.fetch_failed += 1
            log.warning("failed: %s: %s", item.url, item.reason)
            self.batch.failures.append(item)
            self.batch.done.append((item.url, item.archive_key))

    def flush(self) -> None:
        """Write the batch. A database that fails stops the crawl: the pages of the batch stay
        unjournalled and without url_state, so the next run (or resume) fetches them again."""
        batch, self.batch = self.batch, Batch()
        if not batch or self.context.database_error:
            return
        try:
            self._write(batch)
        except SQLAlchemyError as exc:
            message = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip().splitlines()
            self.context.database_error = message[0] if message else type(exc).__name__
            log.error("database write failed, stopping: %s", self.context.database_error)
            if not self.closing and self.crawler.engine is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=DATABASE_ERROR))

    def _write(self, batch: Batch) -> None:
        context = self.context
        store, run_id = context.store, context.run_id
        assert store is not None, "a crawl that loads pages has a database"
        if batch.loads:
            context.tally.loaded.add(store.upsert(batch.loads, run_id))
        if batch.seen:
            store.touch_seen(batch.seen, run_id, not_modified=batch.lastmods)
        if batch.redirects:
            store.record_redirects(batch.redirects, run_id)
        for failure in batch.failures:
            store.quarantine(
                run_id, url=failure.url, message=failure.reason, archive_key=failure.archive_key
            )
        if context.journal is not None:
            context.journal.record_done(batch.done)

    def _follow_numbers(self, loaded: LoadItem) -> None:
        """The project numbers a news article mentions become `?dnr=` page requests."""
        record = loaded.record
        if isinstance(record, NewsRecord) and record.mentioned_project_numbers:
            spider: EsfSpider = self.crawler.spider  # type: ignore[assignment]
            spider.follow_project_numbers(record.mentioned_project_numbers)
