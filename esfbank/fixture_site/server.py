"""A loopback copy of esf.se for crawl tests, `esfbank demo` and the benchmarks.

API (stable: add, don't rename)::

    from esfbank.fixture_site import FixtureSite, faults

    with FixtureSite() as site:                       # the committed site, fixture_site/site
        site.base_url                                 # "http://127.0.0.1:PORT" (a free port)
        site.url("/nyheter/")                         # base_url + path
        site.manifest                                 # tuple[Page, ...]: every page, its kind, ...
        site.hits[("/robots.txt", 200)]               # requests answered, by (target, status)
        site.hits.count(status=304)                   # ... summed over targets
        site.set_page(path, html)                     # new content, ETag, Last-Modified, lastmod
        site.remove_page(path, status=410, unlist=True)   # gone; optionally out of sitemap+listings
        site.touch(path)                              # its sitemap lastmod moves, content does not
        site.set_fault(path, faults.Status(500, times=2))  # see faults.py for every fault
        site.clear_faults()
        site.page_lastmod(path)                       # datetime of its Last-Modified
        site.source.manifest.page(path)               # the Page of a path (None: not a page)
        site.hits.targets(status=200), site.hits.snapshot(), site.hits.clear()

    FixtureSite(faults={path: fault, ...})            # faults from the start
    FixtureSite(synthetic=2000, seed=1)               # generated site of 2,000+ pages (benchmarks)
    FixtureSite(synthetic=2000, page_kb=50)           # ... each page padded to ~50 KB, as real ones
    python -m esfbank.fixture_site [--port P] [--synthetic N [--page-kb K]]  # prints the base URL

A benchmark that measures a crawler should serve the site from another process (the module
above, `--port 0`, base URL on the first line of stdout) so the server's work does not share the
crawler's interpreter lock or count towards its peak memory.

What it serves:
- `robots.txt` (with `Sitemap:` lines and a `Disallow:`), a sitemap index `/sitemap.xml` and
  per-section sitemaps with `<lastmod>`, listing pages with `?page=N`, project pages of all
  periods and layouts, news, calls, and one page under the disallowed path that a polite crawler
  never requests (its hits show in `site.hits`).
- Files keep `{base}` where the real site has absolute URLs; the server substitutes base_url.
- Paths with queries map to files by one rule (paths.py), so `?dnr=2018/00566` is a page.
- `ETag` (a hash of the file's bytes, stable across ports and restarts) and `Last-Modified` (the
  page's lastmod in MANIFEST.json); `If-None-Match` / `If-Modified-Since` get 304.
- HTTP/1.1 with keep-alive; HEAD as GET without a body; anything unknown is 404.
- Faults apply before everything else, per path (query canonicalised), for `times` requests.

Hit keys are the request target exactly as the client sent it (path and query); a response cut
short by a Reset or Truncated fault counts as the 200 it announced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
import socket
import struct
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from esfbank.fixture_site import faults as f
from esfbank.fixture_site.manifest import Page
from esfbank.fixture_site.paths import BASE_PLACEHOLDER, BadPathError, canonical_target, file_for
from esfbank.fixture_site.sources import DirectorySource, PageSource
from esfbank.fixture_site.synthetic import SyntheticSource

# Package data: the site ships inside the package, so `esfbank demo` works from an installed wheel.
DEFAULT_ROOT = Path(__file__).resolve().parent / "site"

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
}
_NOT_FOUND = "<!DOCTYPE html><html lang='sv'><body><h1>Sidan kunde inte hittas</h1></body></html>"
_GONE = "<!DOCTYPE html><html lang='sv'><body><h1>Sidan har tagits bort</h1></body></html>"
_CHUNK = 64 * 1024

log = logging.getLogger(__name__)


class HitCounter:
    """Thread-safe count of answered requests by (target as sent, status)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    def add(self, target: str, status: int) -> None:
        with self._lock:
            self._counts[(target, status)] += 1

    def __getitem__(self, key: tuple[str, int]) -> int:
        with self._lock:
            return self._counts[key]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self.snapshot())

    def snapshot(self) -> Counter[tuple[str, int]]:
        with self._lock:
            return Counter(self._counts)

    def count(self, target: str | None = None, status: int | None = None) -> int:
        """Requests for `target` (any, if None) answered with `status` (any, if None)."""
        return sum(
            n
            for (t, s), n in self.snapshot().items()
            if (target is None or t == target) and (status is None or s == status)
        )

    def targets(self, status: int | None = None) -> set[str]:
        """Every target requested (with that status)."""
        return {t for (t, s) in self.snapshot() if status is None or s == status}

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_Request = socket.socket | tuple[bytes, socket.socket]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, site: FixtureSite, port: int) -> None:
        self.site = site
        self.stopping = threading.Event()
        self._open: set[_Request] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: _Request, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: _Request) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Hang up on keep-alive clients too: a stopped site answers nothing more."""
        with self._open_lock:
            still_open = list(self._open)
        for request in still_open:
            if isinstance(request, socket.socket):
                with contextlib.suppress(OSError):  # already closed by its handler
                    request.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: _Request, client_address: Any) -> None:
        """A client hanging up (size cap, timeout, an injected reset, a crawl killed mid-run) is
        routine here: one debug line, no traceback. Any other error still prints its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("client %s:%s hung up: %s", *client_address[:2], type(error).__name__)
            return
        super().handle_error(request, client_address)


def _http_date(moment: dt.datetime) -> str:
    return format_datetime(moment.astimezone(dt.UTC).replace(microsecond=0), usegmt=True)


class FixtureSite:
    """The fixture site on 127.0.0.1: a context manager, or `start()` / `stop()` by hand."""

    def __init__(
        self,
        root: Path = DEFAULT_ROOT,
        *,
        faults: Mapping[str, f.Fault] | None = None,
        synthetic: int | None = None,
        seed: int = 0,
        page_kb: int | None = None,
        port: int = 0,
        log: bool = False,
    ) -> None:
        if synthetic is not None:
            self.source: PageSource = SyntheticSource(
                synthetic, seed=seed, template_root=root, page_kb=page_kb
            )
        elif page_kb is not None:
            raise ValueError("page_kb pads synthetic pages only: give synthetic=N too")
        else:
            self.source = DirectorySource(root)
        self.hits = HitCounter()
        self.log = log
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._faults: dict[str, f.Fault] = {}
        self._fault_served: Counter[str] = Counter()
        self._overrides: dict[str, tuple[bytes, dt.datetime]] = {}
        self._removed: dict[str, int] = {}
        for path, fault in (faults or {}).items():
            self.set_fault(path, fault)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FixtureSite:
        self._server = _Server(self, self._requested_port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() may wait for the loop to notice
            name="fixture-site",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stopping.set()
            self._server.shutdown()
            self._server.drop_connections()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FixtureSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fixture site is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def manifest(self) -> tuple[Page, ...]:
        return self.source.manifest.pages

    # -- changing the site between runs ----------------------------------------------------
    def set_fault(self, path: str, fault: f.Fault) -> None:
        with self._lock:
            key = canonical_target(path)
            self._faults[key] = fault
            self._fault_served[key] = 0

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._fault_served.clear()

    def set_page(self, path: str, html: str | bytes) -> None:
        """Serve new content at `path` (new or existing), with a fresh ETag and Last-Modified.

        The page's sitemap `<lastmod>` (and that sitemap's entry in the index) move too.
        """
        body = html.encode() if isinstance(html, str) else html
        rel = file_for(path)
        with self._lock:
            moment = self._next_moment()
            self._overrides[rel] = (body, moment)
            self._removed.pop(rel, None)
            self._touch_sitemaps(path, moment)

    def touch(self, path: str) -> None:
        """Move the sitemap `<lastmod>` of `path` (and its sitemap's, in the index) to now without
        changing what it serves, as a CMS does when it republishes a page: one that redirects,
        say, whose target changed."""
        with self._lock:
            self._touch_sitemaps(path, self._next_moment())

    def remove_page(self, path: str, *, status: int = 404, unlist: bool = False) -> None:
        """Answer `status` (404 or 410) at `path` from now on; `unlist` also drops its sitemap
        entry and its links on listing pages, as when a project leaves the real site."""
        if status not in {404, 410}:
            raise ValueError(f"remove_page: status must be 404 or 410, not {status}")
        rel = file_for(path)
        with self._lock:
            self._removed[rel] = status
            if unlist:
                moment = self._next_moment()
                self._unlist(path, moment)

    def page_lastmod(self, path: str) -> dt.datetime:
        """When the page at `path` last changed, as its Last-Modified header says."""
        return self._last_modified(file_for(path))

    # -- internals used by the handler -----------------------------------------------------
    def _next_moment(self) -> dt.datetime:
        """Now, to the second, and strictly later than any earlier change (If-Modified-Since
        has one-second resolution, so two changes in one second must still differ)."""
        moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
        latest = max((m for _, m in self._overrides.values()), default=None)
        if latest is not None and moment <= latest:
            moment = latest + dt.timedelta(seconds=1)
        return moment

    def _read(self, rel: str) -> bytes | None:
        override = self._overrides.get(rel)
        return override[0] if override else self.source.read(rel)

    def _last_modified(self, rel: str) -> dt.datetime:
        override = self._overrides.get(rel)
        return override[1] if override else self.source.manifest.last_modified(rel)

    def _rewrite(self, rel: str, change: re.Pattern[str], repl: str, moment: dt.datetime) -> None:
        body = self._read(rel)
        if body is None:
            return
        text, n = change.subn(repl, body.decode())
        if n:
            self._overrides[rel] = (text.encode(), moment)

    def _touch_sitemaps(self, path: str, moment: dt.datetime) -> None:
        page = self.source.manifest.page(path)
        if page is None or page.sitemap is None:
            return
        stamp = moment.isoformat()
        loc = re.escape(BASE_PLACEHOLDER + path)
        self._rewrite(
            file_for(page.sitemap),
            re.compile(rf"(<loc>{loc}</loc>\s*<lastmod>)[^<]*(</lastmod>)"),
            rf"\g<1>{stamp}\g<2>",
            moment,
        )
        index = self.source.manifest.sitemap_index
        sitemap_loc = re.escape(BASE_PLACEHOLDER + page.sitemap)
        self._rewrite(
            file_for(index),
            re.compile(rf"(<loc>{sitemap_loc}</loc>\s*<lastmod>)[^<]*(</lastmod>)"),
            rf"\g<1>{stamp}\g<2>",
            moment,
        )

    def _unlist(self, path: str, moment: dt.datetime) -> None:
        manifest = self.source.manifest
        page = manifest.page(path)
        if page is not None and page.sitemap is not None:
            loc = re.escape(BASE_PLACEHOLDER + path)
            self._rewrite(
                file_for(page.sitemap),
                re.compile(rf"\s*<url>\s*<loc>{loc}</loc>.*?</url>", re.S),
                "",
                moment,
            )
        within_item = r"(?:(?!</li>).)*"
        href = f'href="(?:{re.escape(BASE_PLACEHOLDER)})?{re.escape(path)}"'
        link = re.compile(rf"\s*<li[^>]*>{within_item}{href}{within_item}</li>", re.S)
        for listing in manifest.pages:
            if listing.kind == "listing":
                self._rewrite(listing.file, link, "", moment)

    def _fault_action(self, target: str) -> f.Action | None:
        key = canonical_target(target)
        with self._lock:
            fault = self._faults.get(key)
            if fault is None:
                return None
            action = f.action_for(fault, self._fault_served[key])
            if action is not None:
                self._fault_served[key] += 1
            return action

    def _resolve(self, target: str) -> tuple[int, bytes, str, dt.datetime | None]:
        """(status, body with placeholders, file name, last modified) for a plain request."""
        try:
            rel = file_for(target)
        except BadPathError:
            return 404, _NOT_FOUND.encode(), "404.html", None
        with self._lock:
            removed = self._removed.get(rel)
            override = self._overrides.get(rel)
        if removed is not None:
            return removed, (_GONE if removed == 410 else _NOT_FOUND).encode(), rel, None
        if override is not None:
            return 200, override[0], rel, override[1]
        body = self.source.read(rel)  # outside the lock: synthetic pages are generated here
        if body is None:
            return 404, _NOT_FOUND.encode(), rel, None
        return 200, body, rel, self.source.manifest.last_modified(rel)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def _content_type(rel: str, body: bytes) -> str:
    """By file suffix; an HTML page that declares another charset (old cp1252 pages) gets it."""
    suffix = rel[rel.rfind(".") :] if "." in rel else ".html"
    if suffix == ".html" and (declared := _META_CHARSET.search(body[:1024])):
        return f"text/html; charset={declared.group(1).decode('ascii').lower()}"
    return _CONTENT_TYPES.get(suffix, "application/octet-stream")


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'


def _not_modified(headers: Message, etag: str, modified: dt.datetime) -> bool:
    """RFC 9110: If-None-Match wins when present; else If-Modified-Since against Last-Modified."""
    none_match = headers.get("If-None-Match")
    if none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in none_match.split(",")}
        return "*" in tags or etag in tags
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return modified.replace(microsecond=0) <= when


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "esfbank-fixture-site/1"
    timeout = 30  # an idle keep-alive connection is dropped after this
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK of the headers: 40 ms a response on Linux loopback.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        if self.server.site.log:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    # -- responses -------------------------------------------------------------------------
    def _serve(self, *, send_body: bool) -> None:
        site = self.server.site
        target = self.path
        action = site._fault_action(target)
        if action is not None and self._fault(action, send_body):
            return
        status, raw, rel, modified = site._resolve(target)
        etag = _etag(raw) if status == 200 else None
        if (
            etag is not None
            and modified is not None
            and action is None
            and _not_modified(self.headers, etag, modified)
        ):
            self._head(304, rel, None, etag=etag, modified=modified)
            return
        body = raw.replace(BASE_PLACEHOLDER.encode(), site.base_url.encode())
        if action is not None and action.kind == "malformed":
            body = f.malform(body)
        if action is not None and action.kind in {"reset", "truncated"}:
            self._partial(action, rel, body)
            return
        content_type = _content_type(rel, body)
        self._head(status, rel, len(body), etag=etag, modified=modified, content_type=content_type)
        if send_body:
            self.wfile.write(body)

    def _head(
        self,
        status: int,
        rel: str,
        length: int | None,
        *,
        etag: str | None = None,
        modified: dt.datetime | None = None,
        extra: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        self.server.site.hits.add(self.path, status)
        self.send_response(status)
        self.send_header("Content-Type", content_type or _content_type(rel, b""))
        if etag is not None:
            self.send_header("ETag", etag)
        if modified is not None:
            self.send_header("Last-Modified", _http_date(modified))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        elif status != 304:
            self.close_connection = True
        self.end_headers()

    def _fault(self, action: f.Action, send_body: bool) -> bool:
        """Answer the request from the fault; False: go on and serve the page (maybe altered)."""
        fault = action.fault
        if isinstance(fault, f.Status):
            body = (_GONE if fault.status == 410 else f"<h1>HTTP {fault.status}</h1>").encode()
            extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            self._head(fault.status, "fault.html", len(body), extra=extra)
            if send_body:
                self.wfile.write(body)
            return True
        if isinstance(fault, f.Redirect):
            location = fault.location.replace(BASE_PLACEHOLDER, self.server.site.base_url)
            if location.startswith("/"):
                location = self.server.site.base_url + location
            self._head(fault.status, "fault.html", 0, extra={"Location": location})
            return True
        if isinstance(fault, f.Slow):
            self.server.stopping.wait(fault.seconds)
            return False
        if isinstance(fault, f.Huge):
            self._head(200, "huge.html", fault.size)
            if send_body:
                for offset in range(0, fault.size, _CHUNK):
                    if self.server.stopping.is_set():
                        break
                    self.wfile.write(f.huge_bytes(offset, min(_CHUNK, fault.size - offset)))
            return True
        return False

    def _partial(self, action: f.Action, rel: str, body: bytes) -> None:
        """Announce the whole body, send only part of it, then end the connection."""
        fault = action.fault
        assert isinstance(fault, f.Reset | f.Truncated)
        sent = min(fault.after_bytes, max(len(body) - 1, 0))
        self._head(200, rel, len(body))
        self.wfile.write(body[:sent])
        self.close_connection = True
        if isinstance(fault, f.Reset):
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
