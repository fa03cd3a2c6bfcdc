"""Downloader middlewares: retries honouring Retry-After, robots.txt read once (its Crawl-delay
obeyed), and the raw archive of every response."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater

from load.archive import DISCOVERY, PAGE

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

    from crawler.context import CrawlContext

log = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: dt.datetime, cap: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), within [0, cap]."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 0.0
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - now).total_seconds()
    return max(0.0, min(seconds, cap))


class HostPause:
    """Until when each host asked us to hold off: a Retry-After pauses the whole site, not just
    the request that got it."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def hold(self, host: str, seconds: float, now: float) -> None:
        self._until[host] = max(self._until.get(host, 0.0), now + seconds)

    def remaining(self, host: str, now: float) -> float:
        return max(0.0, self._until.get(host, 0.0) - now)


class HostSpacing:
    """When each host may be asked next, so requests to it start at least `delay` apart: the
    Crawl-delay robots.txt asks for. Each request books the next free start, so two requests
    made at once (concurrency 2) are spaced too."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}

    def book(self, host: str, delay: float, now: float) -> float:
        """Seconds to wait before this request starts (0: go now)."""
        start = max(now, self._next.get(host, now))
        self._next[host] = start + delay
        return start - now


class CrawlDelayMiddleware:
    """Obeys robots.txt's Crawl-delay (as the spider read it) for the site: the larger of it and
    the configured DOWNLOAD_DELAY holds, since Scrapy's own delay applies as well."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.spacing = HostSpacing()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        context: CrawlContext = self.crawler.spider.context  # type: ignore[union-attr]
        delay = context.crawl_delay.get(urlparse_cached(request).netloc)
        if not delay:
            return
        wait = self.spacing.book(urlparse_cached(request).netloc, delay, time.monotonic())
        if wait > 0:
            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))


class RetryAfterMiddleware:
    """Retry 429/5xx and network errors like Scrapy's RetryMiddleware, honouring Retry-After:
    every request to that site waits until then (the retry included).

    The wait is capped (RETRY_AFTER_MAX_SECONDS) so one hostile header cannot stall a night's run.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(x) for x in settings.getlist("RETRY_HTTP_CODES")}
        self.cap = settings.getfloat("RETRY_AFTER_MAX_SECONDS")
        self.exceptions_to_retry = tuple(_load_exceptions(settings.getlist("RETRY_EXCEPTIONS")))
        self.pause = HostPause()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        wait = self.pause.remaining(_host(request), time.monotonic())
        if wait > 0:
            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        header = response.headers.get(b"Retry-After")
        wait = retry_after_seconds(
            header.decode("latin-1") if header else None, dt.datetime.now(dt.UTC), self.cap
        )
        if wait > 0:
            log.info("%s answered %s: pausing the site %.1fs", request.url, response.status, wait)
            self.pause.hold(_host(request), wait, time.monotonic())
        return retry

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry"):
            return self._retry(request, exception)
        return None

    def _retry(self, request: Request, reason: str | Exception) -> Request | None:
        assert self.crawler.spider is not None
        retry: Request | None = get_retry_request(
            request,
            reason=reason,
            spider=self.crawler.spider,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
        )
        return retry


def _host(request: Request) -> str:
    return urlparse_cached(request).hostname or ""


def _load_exceptions(paths: list[Any]) -> list[type[Exception]]:
    return [load_object(p) if isinstance(p, str) else p for p in paths]


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt check, reading the robots.txt the spider fetched for discovery
    (`CrawlContext.robots_txt`) instead of downloading it a second time. A host the spider did
    not read robots.txt for gets Scrapy's own fetch, once, as before."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._parser_class: type[RobotParser] = load_object(crawler.settings["ROBOTSTXT_PARSER"])
        self._read: dict[str, RobotParser] = {}

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        parser = self._read.get(netloc)
        if parser is not None:
            return parser
        context: CrawlContext = self.crawler.spider.context  # type: ignore[union-attr]
        robots_txt = context.robots_txt.get(netloc)
        if robots_txt is None:
            return await super().robot_parser(request)
        parser = self._parser_class.from_crawler(self.crawler, robots_txt)
        self._read[netloc] = parser
        return parser


class ArchiveMiddleware:
    """Archive every response once decoded (gzip) and past redirects, before retries or parsing.

    The body key lands in `request.meta["archive_key"]` so quarantined parse errors can point at
    the exact bytes. A 304 is archived as a fetch without a body. A capture from the Internet
    Archive (`request.meta["capture_of"]`: the page's original address) is kept under that
    address, with the capture's, so `reparse` rebuilds it as the page it is.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        context: CrawlContext = self.crawler.spider.context  # type: ignore[union-attr]
        if context.archive is None:  # a dry run keeps nothing
            return response
        headers = {
            key.decode("latin-1"): [v.decode("latin-1") for v in values]
            for key, values in response.headers.items()
        }
        body = None if response.status == 304 else response.body
        original = request.meta.get("capture_of")
        entry = context.archive.put(
            original or response.url,
            response.status,
            headers,
            body,
            dt.datetime.now(dt.UTC),
            role=request.meta.get("archive_role", _default_role(request)),
            capture_url=response.url if original else None,
        )
        request.meta["archive_key"] = entry.body_key
        request.meta["fetched_at"] = entry.fetched_at
        return response


def _default_role(request: Request) -> str:
    """robots.txt fetched by Scrapy's robots middleware is discovery, like our own fetch of it."""
    return DISCOVERY if request.meta.get("dont_obey_robotstxt") else PAGE
