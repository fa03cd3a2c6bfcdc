"""`scrapy crawl`, exiting as `esfbank crawl` does.

Scrapy's own command exits 0 once a crawl started, whatever became of it. The esf spider records
its run's exit code in the stats when it closes the run (crawler.lifecycle.record_outcome); this
command exits with it, so a cron job or a CI step running `scrapy crawl esf` sees a failed,
incomplete or interrupted run as `esfbank crawl` shows it. A crawl whose run never closed (the
database could not be opened) exits 1.
"""

from __future__ import annotations

import argparse

from scrapy.commands import crawl
from scrapy.exceptions import UsageError


class Command(crawl.Command):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        # Scrapy imports every command at its start: the run's machinery only when crawling.
        from crawler.lifecycle import EXIT_CODE, STATS_PREFIX  # noqa: PLC0415

        if len(args) != 1:
            raise UsageError("give one spider to run: scrapy crawl esf")
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        stats = crawler.stats
        code = stats.get_value(STATS_PREFIX + EXIT_CODE) if stats is not None else None
        self.exitcode = code if isinstance(code, int) else 1
