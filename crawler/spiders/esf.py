"""The one spider: discovers pages of esf.se (or `--base-url`) and fetches them. No parsing here.

Discovery: robots.txt `Sitemap:` lines → sitemap index → per-section sitemaps (with lastmod), and
listing pages with their pagination; or, with `--urls`, just the seed list. Every page URL is
then fetched (or skipped, or asked for conditionally: see crawler.freshness), and its outcome
handed to the pipeline as an item. A listing that is not re-downloaded (304, lastmod unchanged,
done before a resume) is followed from its archived copy, so discovery stays complete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import discovery
from crawler.context import CrawlContext
from crawler.freshness import Fetch, decide
from crawler.items import CrawlItem, FetchedPage, FetchFailed, Gone, Redirected, Seen
from crawler.pipelines import is_html_content_type
from load.archive import DISCOVERY
from load.sources import discovery as sources
from load.store import UrlState

GONE = frozenset({404, 410})
NOT_MODIFIED = 304
OK = 200
CLIENT_ERRORS = range(400, 500)

Output = Iterator[scrapy.Request | CrawlItem]


class EsfSpider(scrapy.Spider):
    name = "esf"

    def __init__(self, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.base_url = context.options.base_url.rstrip("/")
        self.allowed_domains = discovery.allowed_domains(self.base_url)
        self._scheduled: set[str] = set()
        # Links from listings wait until every sitemap is read, so a page the sitemaps list is
        # decided by its lastmod, not requested because a listing happened to come first.
        self._sitemaps_open = 0
        self._sitemaps_read = False
        self._links_waiting: list[str] = []

    async def start(self) -> AsyncIterator[scrapy.Request | CrawlItem]:
        # robots.txt first and alone: every other request is made once it is read, and checked
        # against it (crawler.middlewares.SharedRobotsTxtMiddleware), so it is fetched once.
        robots = self._discovery_request(f"{self.base_url}/robots.txt", self.parse_robots)
        robots.meta["dont_obey_robotstxt"] = True
        yield robots.replace(errback=self.robots_failed)

    # -- discovery documents: always fetched in full ---------------------------------------------

    def _discovery_request(self, url: str, callback: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.discovery_failed,
            dont_filter=True,
            priority=10,
            meta={"archive_role": DISCOVERY},
        )

    def parse_robots(self, response: Response) -> Output:
        robots_txt = response.body if response.status == OK else b""
        yield from self._discover(robots_txt)

    def robots_failed(self, failure: Failure) -> Output:
        """robots.txt not answered with 200/404/410. RFC 9309: another 4xx means there are no
        rules (go on as a site without one); a server or network error means the rules are
        unknown, so crawl nothing: the run fails and is incomplete, so nothing is removed."""
        error = failure.value
        if isinstance(error, HttpError) and error.response.status in CLIENT_ERRORS:
            self.logger.warning("robots.txt unavailable (%s): no rules", _reason(failure))
            yield from self._discover(b"")
            return
        self.logger.error("robots.txt unreachable (%s): crawling nothing", _reason(failure))
        yield from self._discovery_lost(_origin_url(_request(failure)), _reason(failure))

    def _discover(self, robots_txt: bytes) -> Output:
        """Hand robots.txt to the robots middleware, then start discovery from its Sitemap lines."""
        self.context.robots_txt[urlsplit(self.base_url).netloc] = robots_txt
        yield from self._discover_from(robots_txt.decode("utf-8", errors="replace"))

    def _discover_from(self, robots_txt: str) -> Output:
        if self.context.options.seeds:
            self._sitemaps_read = True
            yield from self._schedule((url, None) for url in self.context.options.seeds)
            return
        listing_paths = self.settings.getlist("ESFBANK_LISTING_PATHS")
        self._links_waiting.extend(f"{self.base_url}{p}" for p in listing_paths)
        # The numbers of the bank's export: their ?dnr= pages, which no sitemap lists.
        numbers = sources.listed_numbers(self.context.store.engine)
        self._links_waiting.extend(discovery.project_url(self.base_url, n) for n in numbers)
        sitemaps = discovery.robots_sitemaps(robots_txt, self.base_url) or [
            f"{self.base_url}/sitemap.xml"
        ]
        for url in sitemaps:
            yield self._sitemap_request(url)

    def _sitemap_request(self, url: str) -> scrapy.Request:
        self._sitemaps_open += 1
        request = self._discovery_request(url, self.parse_sitemap)
        return request.replace(errback=self.sitemap_failed)

    def parse_sitemap(self, response: Response) -> Output:
        yield from self._read_sitemap(response)
        yield from self._sitemap_closed()

    def sitemap_failed(self, failure: Failure) -> Output:
        yield from self.discovery_failed(failure)
        yield from self._sitemap_closed()

    def _read_sitemap(self, response: Response) -> Output:
        if response.status != OK:
            yield from self._discovery_lost(response.url, f"HTTP {response.status}")
            return
        try:
            sitemap = discovery.parse_sitemap(response.body, self.base_url)
        except ValueError as exc:
            yield from self._discovery_lost(response.url, f"unreadable sitemap: {exc}")
            return
        if sitemap.is_index:
            for entry in sitemap.entries:
                yield self._sitemap_request(entry.loc)
        else:
            yield from self._schedule((e.loc, e.lastmod) for e in sitemap.entries)

    def _sitemap_closed(self) -> Output:
        self._sitemaps_open -= 1
        if self._sitemaps_open == 0:
            self._sitemaps_read = True
            waiting, self._links_waiting = self._links_waiting, []
            yield from self._schedule((url, None) for url in waiting)

    def discovery_failed(self, failure: Failure) -> Output:
        yield from self._discovery_lost(_origin_url(_request(failure)), _reason(failure))

    def _discovery_lost(self, url: str, reason: str) -> Output:
        """A sitemap or listing we could not read: the run is incomplete, so nothing is removed."""
        self.context.discovery_failures.append(f"{url}: {reason}")
        yield FetchFailed(url, reason)

    # -- pages and listings -----------------------------------------------------------------------

    def _schedule(self, entries: Iterable[tuple[str, str | None]]) -> Output:
        """Request (or skip) each URL once per run, deciding by its stored state."""
        fresh = [(discovery.canonical(u), m) for u, m in entries]
        fresh = [(u, m) for u, m in fresh if u not in self._scheduled]
        if not fresh:
            return
        self._scheduled.update(u for u, _ in fresh)
        self.context.listed.update(u for u, _ in fresh)
        incremental = self.context.options.incremental
        states = self._states([u for u, _ in fresh]) if incremental else {}
        unchanged: list[str] = []
        targets: list[str] = []
        for url, lastmod in fresh:
            listing = discovery.is_listing(url)
            if url in self.context.done:  # finished before this resume
                if listing:
                    yield from self._follow_known_listing(url)
                continue
            state = states.get(url)
            target = states.get(state.redirected_to) if state and state.redirected_to else None
            decision = decide(state, lastmod, incremental=incremental, target=target)
            if isinstance(decision, Fetch):
                yield self._page_request(
                    url, lastmod, listing, decision.headers, decision.validators_for
                )
                continue
            # A URL that redirects is followed from its target's archived copy.
            landed = decision.redirected_to or url
            archived = self._archived_listing(landed) if listing else None
            if listing and archived is None:  # no copy to follow its links from: fetch it
                yield self._page_request(url, lastmod, listing, {})
                continue
            unchanged.append(url)
            if decision.redirected_to is not None:
                targets.append(decision.redirected_to)
                self.context.listed.add(decision.redirected_to)
            if archived is not None:
                yield from self._follow(archived)
        if unchanged:
            yield Seen(tuple(unchanged), not_modified=False, targets=tuple(targets))

    def _states(self, urls: list[str]) -> dict[str, UrlState]:
        """The stored states of these URLs, and of the URLs those redirected to last time."""
        store = self.context.store
        states = dict(store.url_states(urls))
        targets = {s.redirected_to for s in states.values() if s.redirected_to} - states.keys()
        if targets:
            states.update(store.url_states(sorted(targets)))
        return states

    def _page_request(
        self,
        url: str,
        lastmod: str | None,
        listing: bool,
        headers: dict[str, str],
        validators_for: str | None = None,
    ) -> scrapy.Request:
        # Redirects keep the request's headers (RedirectMiddleware copies them to the new
        # request), so validators of a redirect's target reach the target.
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            headers=headers,
            meta={"sitemap_lastmod": lastmod, "listing": listing, "validators_for": validators_for},
            # Deduplicated by `_scheduled`; Scrapy's filter would swallow redirect loops.
            dont_filter=True,
        )

    def parse_page(self, response: Response) -> Output:
        url = discovery.canonical(response.url)
        meta = response.meta
        origin = discovery.canonical(_origin_url(response.request)) if response.request else url
        listing = bool(meta.get("listing")) or discovery.is_listing(url)
        validators_for = meta.get("validators_for")
        if response.status == NOT_MODIFIED and validators_for not in (None, url):
            # Not the page whose validators were sent (the URL stopped redirecting, or leads
            # elsewhere now): its 304 proves nothing, so ask again without validators.
            lastmod = meta.get("sitemap_lastmod")
            yield self._page_request(origin, lastmod, bool(meta.get("listing")), {})
            return
        self.context.listed.add(url)  # the target of a redirect is listed like its source
        # The lastmod a URL is listed with is its own: a redirect's target does not take it.
        lastmod = meta.get("sitemap_lastmod") if origin == url else None
        yield from self._page_outcome(response, url, listing, lastmod)
        if origin != url:
            reasons: list[int | str] = meta.get("redirect_reasons", [])
            yield Redirected(
                url=origin,
                target=url,
                status=reasons[0] if reasons and isinstance(reasons[0], int) else OK,
                fetched_at=meta.get("fetched_at"),
                sitemap_lastmod=meta.get("sitemap_lastmod"),
            )

    def _page_outcome(
        self, response: Response, url: str, listing: bool, lastmod: str | None
    ) -> Output:
        if response.status in GONE:
            if listing:
                yield from self._discovery_lost(url, f"HTTP {response.status}")
            else:
                yield Gone(url, response.status)
            return
        if response.status == NOT_MODIFIED:
            yield Seen((url,), not_modified=True, sitemap_lastmod=lastmod)
            if listing:
                yield from self._follow_known_listing(url)
            return
        yield FetchedPage(
            url=url,
            body=response.body,
            is_html=is_html_content_type(_header(response, b"Content-Type")),
            fetched_at=response.meta["fetched_at"],
            archive_key=response.meta.get("archive_key"),
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            sitemap_lastmod=lastmod,
        )
        if listing and isinstance(response, HtmlResponse):
            yield from self._follow(response)

    def page_failed(self, failure: Failure) -> Output:
        reason = _reason(failure)
        if failure.check(IgnoreRequest) and "robots.txt" in reason:
            self.context.tally.robots_blocked += 1
            return
        request = _request(failure)
        url = discovery.canonical(_origin_url(request))
        if request.meta.get("listing"):
            self.context.discovery_failures.append(f"{url}: {reason}")
        yield FetchFailed(url, reason, request.meta.get("archive_key"))

    def _follow(self, response: HtmlResponse) -> Output:
        links = (
            discovery.rebase(urljoin(response.url, href), self.base_url)
            for href in response.css("a::attr(href)").getall()
        )
        followable = [url for url in links if discovery.followable(url, self.allowed_domains)]
        if self._sitemaps_read:
            yield from self._schedule((url, None) for url in followable)
        else:
            self._links_waiting.extend(followable)

    def _follow_known_listing(self, url: str) -> Output:
        """Follow an unchanged listing from its archived copy; without one, fetch it in full."""
        archived = self._archived_listing(url)
        if archived is None:
            yield self._page_request(url, None, True, {})
        else:
            yield from self._follow(archived)

    def _archived_listing(self, url: str) -> HtmlResponse | None:
        """The last archived copy of a listing page, to follow without downloading it again."""
        entry = self.context.archive.latest_with_body(url)
        if entry is None or entry.body_key is None:
            return None
        if not is_html_content_type(entry.header("Content-Type")):
            return None
        body = self.context.archive.read_body(entry.body_key)
        headers = {k: list(v) for k, v in entry.headers.items()}
        return HtmlResponse(url=url, headers=headers, body=body)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _request(failure: Failure) -> scrapy.Request:
    """Scrapy hangs the failed request on the failure it passes to an errback."""
    request: scrapy.Request = failure.request  # type: ignore[attr-defined]
    return request


def _origin_url(request: scrapy.Request) -> str:
    """The URL we asked for, before any redirect (a failure is recorded against it)."""
    redirects: list[str] = request.meta.get("redirect_urls", [])
    return redirects[0] if redirects else request.url


def _reason(failure: Failure) -> str:
    error = failure.value
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}"
    name = type(error).__name__
    return f"{name}: {error}" if str(error) else name
