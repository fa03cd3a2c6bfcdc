"""Downloader middlewares: retries honouring Retry-After, and the raw archive of every response."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater

from load.archive import DISCOVERY, PAGE

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

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


class RetryAfterMiddleware:
    """Retry 429/5xx and network errors like Scrapy's RetryMiddleware, but wait Retry-After first.

    The wait is capped (RETRY_AFTER_MAX_SECONDS) so one hostile header cannot stall a night's run.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(x) for x in settings.getlist("RETRY_HTTP_CODES")}
        self.cap = settings.getfloat("RETRY_AFTER_MAX_SECONDS")
        self.exceptions_to_retry = tuple(_load_exceptions(settings.getlist("RETRY_EXCEPTIONS")))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
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
            log.info(
                "%s answered %s: waiting %.1fs (Retry-After)", request.url, response.status, wait
            )
            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
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


def _load_exceptions(paths: list[Any]) -> list[type[Exception]]:
    return [load_object(p) if isinstance(p, str) else p for p in paths]


class ArchiveMiddleware:
    """Archive every response once decoded (gzip) and past redirects, before retries or parsing.

    The body key lands in `request.meta["archive_key"]` so quarantined parse errors can point at
    the exact bytes. A 304 is archived as a fetch without a body.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        context: CrawlContext = self.crawler.spider.context  # type: ignore[union-attr]
        headers = {
            key.decode("latin-1"): [v.decode("latin-1") for v in values]
            for key, values in response.headers.items()
        }
        body = None if response.status == 304 else response.body
        entry = context.archive.put(
            response.url,
            response.status,
            headers,
            body,
            dt.datetime.now(dt.UTC),
            role=request.meta.get("archive_role", _default_role(request)),
        )
        request.meta["archive_key"] = entry.body_key
        request.meta["fetched_at"] = entry.fetched_at
        return response


def _default_role(request: Request) -> str:
    """robots.txt fetched by Scrapy's robots middleware is discovery, like our own fetch of it."""
    return DISCOVERY if request.meta.get("dont_obey_robotstxt") else PAGE
