"""The one spider: discovers pages of esf.se (or `--base-url`) and fetches them. No parsing here.

Discovery: robots.txt `Sitemap:` lines (without any, the first of `/wp-sitemap.xml`,
`/sitemap_index.xml`, `/sitemap.xml` that answers a sitemap) → sitemap indexes → per-type
sitemaps (with lastmod), and listing pages with their pagination; or, with `--urls`, just the
seed list. Each sitemap is read once per run and nesting stops at depth 3; one that cannot be
read is a discovery failure (the run is incomplete, so nothing is removed as unlisted).

Discovered URLs wait in a compact queue (`enqueue`) that `start()` drains as the downloader
takes them, a batch at a time: a 200,000-URL site never holds 200,000 Requests. Every page URL
is then fetched (or skipped, or asked for conditionally: see crawler.freshness), and its outcome
handed to the pipeline as an item. A listing that is not re-downloaded (304, lastmod unchanged,
done before a resume) is followed from its archived copy, so discovery stays complete. In a dry
run (`esfbank discover`) listings are fetched and followed, pages only noted.

Project numbers become `?dnr=` pages wherever discovery meets them (links, seeds, the numbers a
news article mentions, via `enqueue`), and the `?dnr=` pages url_state knows are asked again
each run, since the real site lists them nowhere. With `wayback_url` (backfill --wayback) the
legacy bank is also read from the Internet Archive (crawler.wayback): its index, then each
page's newest capture, one request at a time in the archive's own download slot.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from functools import partial
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer
from twisted.python.failure import Failure

from crawler import discovery, wayback
from crawler.context import CrawlContext
from crawler.freshness import Fetch, decide
from crawler.items import CrawlItem, FetchedPage, FetchFailed, Gone, Redirected, Seen
from crawler.lifecycle import (
    ARGUMENTS,
    Run,
    open_from_settings,
    options_from_settings,
    record_outcome,
)
from crawler.parsing import is_html_content_type, load_item
from crawler.settings import complete_scrapy_settings
from crawler.sitemaps import MAX_SITEMAP_BYTES, UnreadableSitemapError, read_sitemap
from load.archive import DISCOVERY, PAGE
from load.engine import DatabaseUnavailableError
from load.sources import discovery as sources
from load.store import UrlState
from parsers.records import to_json_dict

GONE = frozenset({404, 410})
NOT_MODIFIED = 304
OK = 200
CLIENT_ERRORS = range(400, 500)
# Where WordPress (5.5+) and the SEO plugins serve their sitemap index, asked in turn when
# robots.txt names none.
SITEMAP_PROBES = ("/wp-sitemap.xml", "/sitemap_index.xml", "/sitemap.xml")
MAX_SITEMAP_DEPTH = 3  # robots.txt's sitemap is depth 1
# URLs taken from the queue at once; no more page requests than this are open at a time.
BATCH = 200
IDLE_CHECK_SECONDS = 1.0  # start() looks again at least this often while it waits
DNR = "?dnr="
# url_state's own `?dnr=` pages, asked again each run: a reminder, not a listing, so they do not
# count as listed (a page that dropped out of the newest export may then leave).
KNOWN_DNR_SOURCE = "known ?dnr= pages"
ARCHIVE_SOURCE = "Internet Archive index"  # what `esfbank discover` names as the legacy source

Output = Iterator[scrapy.Request | CrawlItem]


class EsfSpider(scrapy.Spider):
    name = "esf"

    def __init__(
        self,
        context: CrawlContext | None = None,
        *,
        run: Run | None = None,
        opener: Callable[[], Run] | None = None,
        **kwargs: Any,
    ) -> None:
        """`run`: the run `esfbank crawl` opened; `context` alone: a dry run (`esfbank
        discover`) or a test; `opener`: opens the run when the crawl starts (`scrapy crawl`)."""
        super().__init__(**kwargs)
        if run is not None:
            context = run.context
        if context is None:
            raise TypeError("EsfSpider needs a run, a context, or Scrapy's from_crawler")
        self.context = context
        self.run = run
        self._opener = opener
        self.base_url = context.options.base_url.rstrip("/")
        self.allowed_domains = discovery.allowed_domains(self.base_url)
        self.wayback_url = context.options.wayback_url
        if self.wayback_url is not None:  # the one host off the site a crawl may ask
            self.allowed_domains.append(urlsplit(self.wayback_url).hostname or "")
        self._scheduled: set[str] = set()
        self._queue: deque[tuple[str, str | None]] = deque()
        self._sitemaps_requested: set[str] = set()
        # robots.txt and sitemaps being read, and page requests not yet answered: while any is
        # open, more URLs may come, so start() waits instead of ending.
        self._sitemaps_open = 0
        self._pages_open = 0
        # Links from listings wait until every sitemap is read, so a page the sitemaps list is
        # decided by its lastmod, not requested because a listing happened to come first.
        self._sitemaps_read = False
        self._links_waiting: list[tuple[str, str]] = []  # (url, the listing that named it)
        self._wake: defer.Deferred[None] | None = None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Settings built by Scrapy's own commands get the `ESFBANK_*` environment too."""
        super().update_settings(settings)
        complete_scrapy_settings(settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Scrapy builds the spider here. Given neither a run nor a context (`scrapy crawl esf
        -a base_url=URL`, scrapyd, `scrapy parse`), the options come from the `-a` arguments
        and the settings, and the run opens from the settings when the crawl starts: `scrapy
        parse`, which never starts it, opens no run and writes nothing."""
        if kwargs.get("run") is None and kwargs.get("context") is None:
            arguments = {name: str(kwargs.pop(name)) for name in ARGUMENTS if name in kwargs}
            options = options_from_settings(crawler.settings, arguments)
            kwargs["context"] = CrawlContext(options=options, archive=None, store=None, run_id=0)
            kwargs["opener"] = partial(open_from_settings, crawler.settings, options, arguments)
        spider: Self = super().from_crawler(crawler, *args, **kwargs)
        return spider

    def closed(self, reason: str) -> None:
        """Scrapy's close hook, called after the pipeline wrote its last batch: close the run
        (removals, run row, journal) and record its outcome."""
        run = self.run
        if run is None or run.result is not None:
            return
        start = self.crawler.stats.get_value("start_time") if self.crawler.stats else None
        elapsed = (dt.datetime.now(dt.UTC) - start).total_seconds() if start else 0.0
        try:
            result = run.close(reason, elapsed)
        except BaseException as exc:
            run.error = exc
            raise
        threshold = self.crawler.settings.getfloat("ESFBANK_FAILURE_THRESHOLD")
        record_outcome(self.crawler.stats, result, threshold)

    async def start(self) -> AsyncIterator[scrapy.Request | CrawlItem]:
        if self._opener is not None:  # `scrapy crawl`: the run opens now
            try:
                self.run = self._opener()
            except (DatabaseUnavailableError, OSError) as exc:
                self.logger.error("cannot open the run: %s", exc)
                return
            self.context = self.run.context
        # robots.txt first and alone: every other request is made once it is read, and checked
        # against it (crawler.middlewares.SharedRobotsTxtMiddleware), so it is fetched once.
        robots = self._discovery_request(f"{self.base_url}/robots.txt", self.parse_robots)
        robots.meta["dont_obey_robotstxt"] = True
        self._sitemaps_open += 1
        yield robots.replace(errback=self.robots_failed)
        while True:
            if self._queue and self._pages_open < BATCH:
                batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
                for output in self._decide(batch):
                    yield output
            elif not self._queue and (self._all_answered() or self._engine_idle()):
                return
            else:
                await self._pause()

    def _all_answered(self) -> bool:
        return not self._sitemaps_open and not self._pages_open

    def _engine_idle(self) -> bool:
        """Nothing downloading, scheduled or being read. A request a spider middleware drops
        without calling back (Scrapy's URL length limit) leaves a counter open for good: the
        engine's own state then says the run is over."""
        engine = self.crawler.engine
        if engine is None or engine._slot is None or engine.scraper.slot is None:
            return False
        if engine.downloader.active or not engine.scraper.slot.is_idle():
            return False
        idle = not engine._slot.scheduler.has_pending_requests()
        if idle:
            self.logger.warning(
                "%d sitemap and %d page requests were dropped unanswered (too long a URL?)",
                self._sitemaps_open,
                self._pages_open,
            )
        return idle

    # -- the queue -------------------------------------------------------------------------------

    def enqueue(self, entries: Iterable[tuple[str, str | None]], source: str = "added") -> None:
        """Queue (URL, sitemap lastmod) pairs to be requested (or skipped) once each this run.

        Any discovery source may call this mid-run; `source` names it for `esfbank discover`.
        """
        lists = source != KNOWN_DNR_SOURCE
        for url, lastmod in entries:
            key = discovery.canonical(url)
            if lists and self.context.found is None:
                self.context.listed.add(key)
            if key in self._scheduled:
                continue
            self._scheduled.add(key)
            if self.context.found is not None:  # a dry run removes nothing: it keeps the source
                self.context.found[key] = source
            self._queue.append((key, lastmod))
        self._wake_up()

    @property
    def waiting(self) -> int:
        """URLs discovered and not yet requested or skipped (the progress line counts them)."""
        return len(self._queue)

    async def _pause(self) -> None:
        """Wait for more URLs, a finished request, or at most IDLE_CHECK_SECONDS."""
        # The reactor Scrapy installed: imported here, since importing it earlier installs one.
        from twisted.internet import reactor  # noqa: PLC0415

        clock: Any = reactor
        self._wake = defer.Deferred()
        timer = clock.callLater(IDLE_CHECK_SECONDS, self._wake_up)
        try:
            await maybe_deferred_to_future(self._wake)
        finally:
            if timer.active():
                timer.cancel()

    def _wake_up(self) -> None:
        wake, self._wake = self._wake, None
        if wake is not None and not wake.called:
            wake.callback(None)

    def _page_done(self) -> None:
        self._pages_open -= 1
        self._wake_up()

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
        try:
            robots_txt = response.body if response.status == OK else b""
            yield from self._discover(robots_txt)
        finally:
            self._sitemap_closed()

    def robots_failed(self, failure: Failure) -> Output:
        """robots.txt not answered with 200/404/410. RFC 9309: another 4xx means there are no
        rules (go on as a site without one); a server or network error means the rules are
        unknown, so crawl nothing: the run fails and is incomplete, so nothing is removed."""
        try:
            error = failure.value
            if isinstance(error, HttpError) and error.response.status in CLIENT_ERRORS:
                self.logger.warning("robots.txt unavailable (%s): no rules", _reason(failure))
                yield from self._discover(b"")
                return
            self.logger.error("robots.txt unreachable (%s): crawling nothing", _reason(failure))
            yield from self._discovery_lost(_origin_url(_request(failure)), _reason(failure))
        finally:
            self._sitemap_closed()

    def _discover(self, robots_txt: bytes) -> Output:
        """Hand robots.txt to the robots middleware, then start discovery from its Sitemap lines."""
        self.context.robots_txt[urlsplit(self.base_url).netloc] = robots_txt
        text = robots_txt.decode("utf-8", errors="replace")
        delay = discovery.crawl_delay(text, self.settings.get("USER_AGENT") or "")
        if delay:
            self.context.crawl_delay[urlsplit(self.base_url).netloc] = delay
        yield from self._discover_from(text)

    def _discover_from(self, robots_txt: str) -> Output:
        if self.context.options.seeds:
            self._sitemaps_read = True
            self.enqueue(((url, None) for url in self.context.options.seeds), "seed list")
            return
        listing_paths = self.settings.getlist("ESFBANK_LISTING_PATHS")
        self._links_waiting.extend((f"{self.base_url}{p}", "listing paths") for p in listing_paths)
        # Known `?dnr=` pages of this site: listed nowhere on the real one, so asked from
        # url_state (not those a crawl of another --base-url left there).
        site = f"{self.base_url}/"
        known = self.context.store.live_urls(containing=DNR) if self.context.store else []
        self._links_waiting.extend((url, KNOWN_DNR_SOURCE) for url in known if url.startswith(site))
        if self.context.store is not None:  # the bank's export: ?dnr= pages no sitemap lists
            numbers = sources.listed_numbers(self.context.store.engine)
            self._links_waiting.extend(
                (discovery.project_url(self.base_url, n), "esf export") for n in numbers
            )
        if self.wayback_url is not None:
            yield from self._discover_archive(self.wayback_url)
        # Another discovery source (an imported list) calls `enqueue` with its URLs and its
        # name: they are then decided, requested and reported like these.
        sitemaps = discovery.robots_sitemaps(robots_txt, self.base_url)
        if not sitemaps:
            yield self._probe(0)
        for url in sitemaps:
            yield from self._sitemap_request(url, ())

    def _sitemap_request(self, url: str, parents: tuple[str, ...]) -> Output:
        """Ask for a sitemap once per run; an index may not list itself or nest too deep."""
        key = discovery.canonical(url)
        if key in parents:
            yield from self._discovery_lost(
                parents[-1], f"sitemap index lists {key} again (a loop): not followed"
            )
            return
        if len(parents) >= MAX_SITEMAP_DEPTH:
            yield from self._discovery_lost(
                parents[-1],
                f"sitemaps nested deeper than {MAX_SITEMAP_DEPTH}: {key} not read",
            )
            return
        if key in self._sitemaps_requested:
            return
        self._sitemaps_requested.add(key)
        yield self._sitemap(key, self.parse_sitemap, {"sitemap_parents": (*parents, key)})

    def _probe(self, index: int) -> scrapy.Request:
        url = f"{self.base_url}{SITEMAP_PROBES[index]}"
        self._sitemaps_requested.add(url)
        return self._sitemap(url, self.parse_probe, {"probe": index, "sitemap_parents": (url,)})

    def _sitemap(self, url: str, callback: Any, meta: dict[str, Any]) -> scrapy.Request:
        self._sitemaps_open += 1
        request = self._discovery_request(url, callback)
        # The protocol allows 50 MB a sitemap; pages keep the smaller cap.
        size = MAX_SITEMAP_BYTES + 1
        request.meta.update(meta, download_maxsize=size, download_warnsize=size)
        return request.replace(errback=self.sitemap_failed)

    def parse_probe(self, response: Response) -> Output:
        """A probe answered 404 or something that is not a sitemap: try the next one."""
        try:
            index: int = response.meta["probe"]
            if response.status == OK:
                try:
                    read_sitemap(response.body, self.base_url)
                except UnreadableSitemapError:
                    pass
                else:
                    yield from self._read_sitemap(response)
                    return
            if index + 1 < len(SITEMAP_PROBES):
                yield self._probe(index + 1)
                return
            tried = ", ".join(SITEMAP_PROBES)
            yield from self._discovery_lost(
                f"{self.base_url}/robots.txt", f"no Sitemap line, and none of {tried} is a sitemap"
            )
        finally:
            self._sitemap_closed()

    def parse_sitemap(self, response: Response) -> Output:
        try:
            yield from self._read_sitemap(response)
        finally:
            self._sitemap_closed()

    def sitemap_failed(self, failure: Failure) -> Output:
        try:
            yield from self.discovery_failed(failure)
        finally:
            self._sitemap_closed()

    def _read_sitemap(self, response: Response) -> Output:
        url = discovery.canonical(
            _origin_url(response.request) if response.request else response.url
        )
        if response.status != OK:
            yield from self._discovery_lost(url, f"HTTP {response.status}")
            return
        try:
            sitemap = read_sitemap(response.body, self.base_url)
        except UnreadableSitemapError as exc:
            yield from self._discovery_lost(url, f"unreadable sitemap: {exc}")
            return
        if sitemap.is_index:
            parents: tuple[str, ...] = response.meta.get("sitemap_parents", (url,))
            for entry in sitemap.entries:
                yield from self._sitemap_request(entry.loc, parents)
        else:
            self.enqueue(((e.loc, e.lastmod) for e in sitemap.entries), url)

    def _sitemap_closed(self) -> None:
        self._sitemaps_open -= 1
        if self._sitemaps_open == 0 and not self._sitemaps_read:
            self._sitemaps_read = True
            waiting, self._links_waiting = self._links_waiting, []
            for url, source in waiting:
                self.enqueue([(url, None)], source)
        self._wake_up()

    def discovery_failed(self, failure: Failure) -> Output:
        yield from self._discovery_lost(_origin_url(_request(failure)), _reason(failure))

    def _discovery_lost(self, url: str, reason: str) -> Output:
        """A sitemap or listing we could not read: the run is incomplete, so nothing is removed."""
        self.context.discovery_failures.append(f"{url}: {reason}")
        yield FetchFailed(url, reason)

    # -- pages and listings -----------------------------------------------------------------------

    def _decide(self, entries: list[tuple[str, str | None]]) -> Output:
        """Request (or skip) each queued URL, deciding by its stored state."""
        if self.context.found is not None:  # a dry run: listings are read, pages only noted
            for url, lastmod in entries:
                if discovery.is_listing(url):
                    yield self._page_request(url, lastmod, True, {})
            return
        incremental = self.context.options.incremental
        states = self._states([u for u, _ in entries]) if incremental else {}
        unchanged: list[str] = []
        targets: list[str] = []
        for url, lastmod in entries:
            listing = discovery.is_listing(url)
            if url in self.context.done:  # finished before this resume
                if listing:
                    yield from self._follow_known_listing(url)
                continue
            state = states.get(url)
            if state is not None and state.capture_url is not None:
                continue  # taken from the Internet Archive: history, never asked of the site
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
                self._follow(archived)
        if unchanged:
            yield Seen(tuple(unchanged), not_modified=False, targets=tuple(targets))

    def follow_project_numbers(self, numbers: Iterable[str]) -> None:
        """Project numbers met in a page's text (a news article) become `?dnr=` page requests,
        except in a `--urls` run, which crawls only the pages it was given."""
        if self.context.options.seeds:
            return
        urls = [discovery.project_url(self.base_url, n) for n in numbers]
        if self._sitemaps_read:
            self.enqueue(((url, None) for url in urls), "news text")
        else:
            self._links_waiting.extend((url, "news text") for url in urls)

    def _states(self, urls: list[str]) -> dict[str, UrlState]:
        """The stored states of these URLs, and of the URLs those redirected to last time."""
        store = self.context.store
        assert store is not None, "an incremental crawl has a database"
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
        self._pages_open += 1  # until its callback or errback has run
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            headers=headers,
            meta={"sitemap_lastmod": lastmod, "listing": listing, "validators_for": validators_for},
            # Deduplicated by `_scheduled`; Scrapy's filter would swallow redirect loops.
            dont_filter=True,
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """`scrapy parse --spider esf URL`: the record the crawl would load from the page, as
        `esfbank parse` prints it. A crawl never calls this (its pages go to `parse_page`)."""
        item = FetchedPage(
            url=discovery.canonical(response.url),
            body=response.body,
            content_type=_header(response, b"Content-Type"),
            fetched_at=dt.datetime.now(dt.UTC),
            archive_key=None,
            etag=None,
            last_modified=None,
            sitemap_lastmod=None,
        )
        yield to_json_dict(load_item(item).record)

    def parse_page(self, response: Response) -> Output:
        try:
            if self.context.found is None:
                yield from self._read_page(response)
            else:
                yield from self._read_listing_only(response)
        finally:
            self._page_done()

    def _read_listing_only(self, response: Response) -> Output:
        """A dry run reads listings for their links and keeps nothing."""
        url = discovery.canonical(response.url)
        if response.status != OK:
            yield from self._discovery_lost(url, f"HTTP {response.status}")
        elif isinstance(response, HtmlResponse):
            self._follow(response)

    def _read_page(self, response: Response) -> Output:
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
        if origin in self.context.listed:  # the target of a redirect is listed like its source
            self.context.listed.add(url)
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
            # A listing that answers 404/410 left the site like any page: what it listed is
            # then unlisted, and the mass-removal guard judges the whole. (One that gives no
            # answer, a 5xx or a timeout, is a discovery source lost: see `page_failed`.)
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
            content_type=_header(response, b"Content-Type"),
            fetched_at=response.meta["fetched_at"],
            archive_key=response.meta.get("archive_key"),
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            sitemap_lastmod=lastmod,
        )
        if listing and isinstance(response, HtmlResponse):
            self._follow(response)

    def page_failed(self, failure: Failure) -> Output:
        try:
            yield from self._page_failed(failure)
        finally:
            self._page_done()

    def _page_failed(self, failure: Failure) -> Output:
        reason = _reason(failure)
        if failure.check(IgnoreRequest) and "robots.txt" in reason:
            self.context.tally.robots_blocked += 1
            return
        request = _request(failure)
        url = discovery.canonical(_origin_url(request))
        if request.meta.get("listing"):
            self.context.discovery_failures.append(f"{url}: {reason}")
        yield FetchFailed(url, reason, request.meta.get("archive_key"))

    def _follow(self, response: HtmlResponse) -> None:
        links = (
            discovery.rebase(urljoin(response.url, href), self.base_url)
            for href in response.css("a::attr(href)").getall()
        )
        source = discovery.canonical(response.url)
        followable = [url for url in links if discovery.followable(url, self.allowed_domains)]
        if self._sitemaps_read:
            self.enqueue(((url, None) for url in followable), source)
        else:
            self._links_waiting.extend((url, source) for url in followable)

    # -- the legacy bank, from the Internet Archive ----------------------------------------------

    def _discover_archive(self, wayback_url: str) -> Output:
        for prefix, page in wayback.LEGACY_SOURCES:
            yield self._index_request(wayback_url, prefix, wayback.NewestCaptures(page), None)

    def _index_request(
        self,
        wayback_url: str,
        prefix: str,
        newest: wayback.NewestCaptures,
        resume_key: str | None,
    ) -> scrapy.Request:
        """The archive index's next answer for a legacy prefix, read into `newest`."""
        url = wayback.cdx_query_url(wayback_url, prefix, resume_key)
        request = self._archive_request(url, self.parse_cdx, DISCOVERY)
        request.meta["legacy_prefix"] = prefix
        request.meta["newest_captures"] = newest
        request.meta["download_maxsize"] = wayback.INDEX_MAX_BYTES
        request.meta["download_warnsize"] = wayback.INDEX_MAX_BYTES
        return request

    def _archive_request(self, url: str, callback: Any, role: str) -> scrapy.Request:
        """One request to the archive: in its own slot (one at a time, with its delay, which
        AutoThrottle leaves alone), any failure a lost source of the run."""
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.archive_failed,
            dont_filter=True,
            meta={
                "archive_role": role,
                "download_slot": wayback.DOWNLOAD_SLOT,
                "autothrottle_dont_adjust_delay": True,
            },
        )

    def parse_cdx(self, response: Response) -> Output:
        """One answer of the archive index for a legacy prefix; after its last, the newest 200
        capture of each legacy page under the prefix, fetched raw."""
        if response.status != OK:
            yield from self._discovery_lost(response.url, f"archive index: HTTP {response.status}")
            return
        newest: wayback.NewestCaptures = response.meta["newest_captures"]
        prefix: str = response.meta["legacy_prefix"]
        assert self.wayback_url is not None
        try:
            resume_key = newest.add(response.body)
            if resume_key is not None:
                self.logger.info(
                    "archive index %s: %d rows in %d answers so far, asking for more",
                    prefix,
                    newest.rows,
                    newest.answers,
                )
                yield self._index_request(self.wayback_url, prefix, newest, resume_key)
                return
            captures = newest.captures()
        except wayback.CdxError as exc:
            yield from self._discovery_lost(response.url, f"archive index: {exc}")
            return
        self.logger.info(
            "archive index %s: %d legacy pages among %d rows in %d answers",
            prefix,
            len(captures),
            newest.rows,
            newest.answers,
        )
        for capture in captures:
            original = discovery.canonical(capture.original)
            if original in self._scheduled or original in self.context.done:
                continue
            self._scheduled.add(original)
            if self.context.found is not None:  # a dry run notes the page, downloads nothing
                self.context.found[original] = ARCHIVE_SOURCE
                continue
            request = self._archive_request(
                wayback.capture_url(self.wayback_url, capture), self.parse_capture, PAGE
            )
            request.meta["capture_of"] = original
            request.meta["captured_at"] = capture.captured_at
            yield request

    def parse_capture(self, response: Response) -> Output:
        original: str = response.meta["capture_of"]
        if response.status != OK:
            reason = f"archive capture {response.url}: HTTP {response.status}"
            yield from self._discovery_lost(original, reason)
            return
        yield FetchedPage(
            url=original,
            body=response.body,
            content_type=_header(response, b"Content-Type"),
            fetched_at=response.meta["fetched_at"],
            archive_key=response.meta.get("archive_key"),
            etag=None,
            last_modified=None,
            sitemap_lastmod=None,
            capture_url=response.url,
            # The archive may answer from a nearby capture (a redirect): the one it answered.
            captured_at=wayback.capture_time(response.url) or response.meta["captured_at"],
        )

    def archive_failed(self, failure: Failure) -> Output:
        """Any request to the archive that got no usable answer (robots.txt included): the run
        is incomplete and says so."""
        request = _request(failure)
        url = request.meta.get("capture_of") or _origin_url(request)
        yield from self._discovery_lost(url, f"Internet Archive: {_reason(failure)}")

    def _follow_known_listing(self, url: str) -> Output:
        """Follow an unchanged listing from its archived copy; without one, fetch it in full."""
        archived = self._archived_listing(url)
        if archived is None:
            yield self._page_request(url, None, True, {})
        else:
            self._follow(archived)

    def _archived_listing(self, url: str) -> HtmlResponse | None:
        """The last archived copy of a listing page, to follow without downloading it again."""
        archive = self.context.archive
        entry = archive.latest_with_body(url) if archive is not None else None
        if archive is None or entry is None or entry.body_key is None:
            return None
        if not is_html_content_type(entry.header("Content-Type")):
            return None
        body = archive.read_body(entry.body_key)
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
