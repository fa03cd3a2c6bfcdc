"""The dry run of discovery (`esfbank discover`): the crawl's own spider, with no database and
no archive, reads robots.txt, sitemaps and listings and notes every page it would request.

Running the same spider is what keeps the list honest: the URLs it prints are the URLs a crawl
of the same site then requests. Sources that only a crawl reads (numbers in news text) are not
in it. The archive's index is read when `wayback_url` is given; its captures are only noted.
Another discovery source plugs in by calling `EsfSpider.enqueue(entries, source)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.context import CrawlContext, CrawlOptions
from crawler.spiders.esf import EsfSpider

FINISHED = "finished"
# A dry run keeps nothing: no archive middleware, no pipeline.
_KEEPING = ("crawler.middlewares.ArchiveMiddleware",)


@dataclass(frozen=True, slots=True)
class Discovery:
    """Every URL found, in the order found, with the source that first named it."""

    found: dict[str, str]
    failures: tuple[str, ...]
    complete: bool
    robots_blocked: int


def run_discovery(options: CrawlOptions, settings: Settings) -> Discovery:
    """Discover once, in this process (Scrapy's reactor runs once per process)."""
    dry = settings.copy()
    dry.set("ITEM_PIPELINES", {}, priority="cmdline")
    middlewares = dict(dry.getdict("DOWNLOADER_MIDDLEWARES_BASE"))
    for name in _KEEPING:
        middlewares.pop(name, None)
    dry.set("DOWNLOADER_MIDDLEWARES_BASE", middlewares, priority="cmdline")
    context = CrawlContext(
        options=CrawlOptions(
            base_url=options.base_url,
            mode="discover",
            seeds=options.seeds,
            wayback_url=options.wayback_url,
        ),
        archive=None,
        store=None,
        run_id=0,
        found={},
    )
    process = CrawlerProcess(dry)
    crawler = process.create_crawler(EsfSpider)
    process.crawl(crawler, context=context)
    process.start()
    stats = crawler.stats
    finish_reason = str(stats.get_value("finish_reason", "unknown")) if stats else "unknown"
    assert context.found is not None
    return Discovery(
        found=context.found,
        failures=tuple(context.discovery_failures),
        complete=finish_reason == FINISHED and not context.discovery_failures,
        robots_blocked=context.tally.robots_blocked,
    )
