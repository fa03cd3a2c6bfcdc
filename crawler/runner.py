"""Run one crawl in this process, for `esfbank crawl`, `backfill` and `demo`.

The commands build `CrawlOptions` and settings and call `run_crawl`, which opens the run
(crawler.lifecycle), hands it to the spider and runs Scrapy; the spider's close hook closes the
run (removals, run row, journal) as it does under `scrapy crawl esf`, so both share one life.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.context import CrawlOptions
from crawler.lifecycle import CrawlResult, journal_path, open_run
from crawler.spiders.esf import EsfSpider
from load.store import Store

__all__ = ["CrawlResult", "journal_path", "run_crawl"]


def run_crawl(
    options: CrawlOptions,
    settings: Settings,
    *,
    store: Store,
    archive_dir: Path,
    journal_file: Path | None = None,
    resume: bool = False,
) -> CrawlResult:
    """Crawl once; `journal_file` makes it a resumable backfill (`resume` continues one)."""
    run = open_run(
        options, store=store, archive_dir=archive_dir, journal_file=journal_file, resume=resume
    )
    try:
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(EsfSpider)
        process.crawl(crawler, run=run)
        process.start()
    finally:
        run.release()
    if run.error is not None:  # raised in Scrapy's signal handling, which only logs it
        raise run.error
    if run.result is None:
        raise RuntimeError("the crawl ended without closing its run")
    return run.result
