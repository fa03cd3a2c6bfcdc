"""A progress line on stderr every few seconds: pages done, rate, failures, queue length."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.context import CrawlContext


class ProgressReporter:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.loop = LoopingCall(self.report)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressReporter:
        interval = crawler.settings.getfloat("ESFBANK_PROGRESS_SECONDS")
        if interval <= 0:
            raise NotConfigured
        reporter = cls(crawler, interval)
        crawler.signals.connect(reporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(reporter.spider_closed, signal=signals.spider_closed)
        return reporter

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        self.loop.start(self.interval, now=False)

    def spider_closed(self) -> None:
        if self.loop.running:
            self.loop.stop()

    def report(self) -> None:
        context: CrawlContext = self.crawler.spider.context  # type: ignore[union-attr]
        tally = context.tally
        elapsed = max(time.monotonic() - self.started, 1e-9)
        stats = self.crawler.stats
        queued = (
            stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0)
            if stats
            else 0
        ) + getattr(self.crawler.spider, "waiting", 0)  # discovered, not yet handed to Scrapy
        print(
            f"{context.options.mode} crawl: {tally.pages_done} pages done "
            f"({tally.pages_done / elapsed:.1f}/s), {tally.fetched} downloaded, "
            f"{tally.seen_unchanged} unchanged, {tally.failed} failed, {queued} queued",
            file=sys.stderr,
            flush=True,
        )
