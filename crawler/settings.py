"""Scrapy settings, in one place. Defaults are polite; environment variables and flags override.

`scrapy.cfg` points here, so the module-level names are the Scrapy settings. `crawl_settings`
layers the `ESFBANK_*` environment variables (see `ENV_OVERRIDES`) and then explicit flag values
on top of them: the commands call it rather than mutating Scrapy settings themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from scrapy.settings import BaseSettings, Settings

from crawler.removal import DEFAULT_MAX_SHARE, checked_share
from crawler.wayback import DOWNLOAD_SLOT

BOT_NAME = "esfbank"
SPIDER_MODULES = ["crawler.spiders"]
COMMANDS_MODULE = "crawler.commands"  # `scrapy crawl` exiting as `esfbank crawl` does
NEWSPIDER_MODULE = "crawler.spiders"

# Who we are and how to reach the operator: sites block anonymous crawlers, rightly.
USER_AGENT = "esfbank/0.1 (research crawler of the ESF project bank; contact: esfbank@example.org)"

ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
LOG_LEVEL = "WARNING"

# Politeness: two requests at a time per site, AutoThrottle adapting to the server's latency.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Limits: a page over 10 MB is refused (and recorded as failed), a stalled one times out.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_FAIL_ON_DATALOSS = True
REDIRECT_MAX_TIMES = 5

# Retries: Scrapy's own RetryMiddleware is swapped for one that honours Retry-After (capped).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_AFTER_MAX_SECONDS = 60.0

# 304 (conditional requests) and 404/410 (removal) reach the spider instead of being dropped.
HTTPERROR_ALLOWED_CODES = [304, 404, 410]

# The pipeline is synchronous (parse, then a batched write), so items gain nothing from running
# in parallel; Scrapy's default (100) creates that many asyncio tasks per callback's output.
CONCURRENT_ITEMS = 1

# The components a crawl runs, listed in full (the *_BASE settings replaced, not amended): Scrapy
# imports every component its settings name, even one set to None, so leaving out the ones a
# crawl of public pages never uses (remote control: aiohttp; cookies: tldextract; telnet, HTTP
# cache, feed export, auth, S3/FTP/file handlers) is what keeps them out of each run's start-up;
# a nightly run that finds nothing changed is mostly start-up.
DOWNLOAD_HANDLERS_BASE = {
    "http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    "https": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
}
DOWNLOADER_MIDDLEWARES_BASE = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": 50,
    # Scrapy's robots.txt check, fed the robots.txt the spider reads for discovery.
    "crawler.middlewares.SharedRobotsTxtMiddleware": 100,
    # robots.txt's Crawl-delay, once the spider has read it (the larger of it and DOWNLOAD_DELAY).
    "crawler.middlewares.CrawlDelayMiddleware": 110,
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    # Scrapy's RetryMiddleware is replaced by one that honours Retry-After.
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    # Archive as responses arrive: after gzip/deflate decoding (590) and redirects (600), before
    # meta refresh (580), retries and the spider, so the archive holds the page as served.
    "crawler.middlewares.ArchiveMiddleware": 585,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": 850,
}
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,  # start/finish time and reason the run reports
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.throttle.AutoThrottle": 0,
    "crawler.progress.ProgressReporter": 500,
}
ITEM_PIPELINES = {"crawler.pipelines.ArchiveParseLoadPipeline": 300}

# Where `scrapy crawl esf` keeps its data (`esfbank crawl` takes the same from --db/--archive or
# the environment variables of the same names): the defaults are esfbank's own.
ESFBANK_DB = "sqlite:///data/esfbank.sqlite"
ESFBANK_ARCHIVE = "data/archive"
# The site `scrapy crawl esf` crawls unless `-a base_url=URL` names another.
ESFBANK_BASE_URL = "https://www.esf.se"
# A run still `running` with no progress for this long was killed: the next run closes it.
ESFBANK_STALE_RUN_MINUTES = 60.0

# Listing pages to start from besides those the sitemaps list (paths, comma-separated in env):
# the project bank's own page, which lists `?dnr=` pages that no sitemap names.
ESFBANK_LISTING_PATHS: list[str] = ["/resultat/projektbanken/"]

# Pages loaded per database transaction, and the longest a loaded page waits for its batch.
ESFBANK_BATCH_SIZE = 200
ESFBANK_BATCH_SECONDS = 5.0
# Seconds between progress lines on stderr (0 turns them off).
ESFBANK_PROGRESS_SECONDS = 5.0
# A run exits 1 when more than this share of fetched pages failed (0.05 = 5 %).
ESFBANK_FAILURE_THRESHOLD = 0.05
# A run that would flag more than this share of the live pages (or of one page family) removed
# flags none and exits 1 (the mass-removal guard; --allow-mass-removal accepts it once).
ESFBANK_MAX_REMOVED_SHARE = DEFAULT_MAX_SHARE
# Seconds between requests to the Internet Archive (backfill --wayback), one at a time.
ESFBANK_WAYBACK_DELAY = 1.0
# The least delay the archive's slot gets. Scrapy (2.13+) counts a request against its slot's
# concurrency only once its download has begun, so a slot whose delay runs out before that (none,
# or 1 ms on a loaded machine) starts a second request beside the first: test_crawl_wayback's
# one-at-a-time test saw 2 at once with 1 ms under load. 50 ms leaves the first time to begin.
WAYBACK_MIN_DELAY = 0.05


def _float(value: str) -> float:
    return float(value)


def yes_no(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


# Environment variable → (Scrapy setting, converter).
ENV_OVERRIDES: Mapping[str, tuple[str, Callable[[str], Any]]] = {
    "ESFBANK_DB": ("ESFBANK_DB", str),
    "ESFBANK_ARCHIVE": ("ESFBANK_ARCHIVE", str),
    "ESFBANK_BASE_URL": ("ESFBANK_BASE_URL", str),
    "ESFBANK_STALE_RUN_MINUTES": ("ESFBANK_STALE_RUN_MINUTES", _float),
    "ESFBANK_USER_AGENT": ("USER_AGENT", str),
    "ESFBANK_CONCURRENCY": ("CONCURRENT_REQUESTS_PER_DOMAIN", int),
    "ESFBANK_DOWNLOAD_DELAY": ("DOWNLOAD_DELAY", _float),
    "ESFBANK_AUTOTHROTTLE": ("AUTOTHROTTLE_ENABLED", yes_no),
    "ESFBANK_DOWNLOAD_TIMEOUT": ("DOWNLOAD_TIMEOUT", _float),
    "ESFBANK_MAX_PAGE_BYTES": ("DOWNLOAD_MAXSIZE", int),
    "ESFBANK_RETRY_TIMES": ("RETRY_TIMES", int),
    "ESFBANK_RETRY_AFTER_MAX": ("RETRY_AFTER_MAX_SECONDS", _float),
    "ESFBANK_FAILURE_THRESHOLD": ("ESFBANK_FAILURE_THRESHOLD", _float),
    "ESFBANK_MAX_REMOVED_SHARE": ("ESFBANK_MAX_REMOVED_SHARE", _float),
    "ESFBANK_WAYBACK_DELAY": ("ESFBANK_WAYBACK_DELAY", _float),
    "ESFBANK_PROGRESS_SECONDS": ("ESFBANK_PROGRESS_SECONDS", _float),
    "ESFBANK_BATCH_SIZE": ("ESFBANK_BATCH_SIZE", int),
    "ESFBANK_LISTING_PATHS": ("ESFBANK_LISTING_PATHS", lambda v: [p for p in v.split(",") if p]),
}


class SettingsError(ValueError):
    """An environment variable or flag value that does not fit its setting."""


def crawl_settings(
    flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """This module's settings, then `ESFBANK_*` environment overrides, then flag values."""
    settings = Settings()
    settings.setmodule(__name__, priority="project")
    _layer_environment(settings, os.environ if environ is None else environ, "cmdline")
    for name, value in (flags or {}).items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    _derive(settings, "cmdline")
    return settings


def complete_scrapy_settings(
    settings: BaseSettings, environ: Mapping[str, str] | None = None
) -> None:
    """What `crawl_settings` adds, for the settings Scrapy's own commands (`scrapy crawl`, a
    scrapyd job) built from this module and `-s`: the `ESFBANK_*` environment variables below
    `-s` values, then the derived settings. Settings made by `crawl_settings` stay as they are."""
    _layer_environment(settings, os.environ if environ is None else environ, "spider")
    _derive(settings, "spider")


def _layer_environment(settings: BaseSettings, env: Mapping[str, str], priority: str) -> None:
    for variable, (name, convert) in ENV_OVERRIDES.items():
        if variable in env:
            try:
                settings.set(name, convert(env[variable]), priority=priority)
            except ValueError as exc:
                raise SettingsError(f"{variable}={env[variable]!r}: {exc}") from None


def _derive(settings: BaseSettings, priority: str) -> None:
    """Check the removal share; the archive's download slot; concurrency across sites."""
    try:
        checked_share(settings.getfloat("ESFBANK_MAX_REMOVED_SHARE"))
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    # The Internet Archive: one request at a time, a delay apart, whatever the site's settings.
    delay = max(settings.getfloat("ESFBANK_WAYBACK_DELAY"), WAYBACK_MIN_DELAY)
    slot = {"concurrency": 1, "delay": delay, "jitter": 0.0}
    settings.set("DOWNLOAD_SLOTS", {DOWNLOAD_SLOT: slot}, priority=priority)
    # Concurrency across sites never below the per-site limit the user asked for.
    settings.set(
        "CONCURRENT_REQUESTS",
        max(
            settings.getint("CONCURRENT_REQUESTS"),
            settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
        ),
        priority=priority,
    )
