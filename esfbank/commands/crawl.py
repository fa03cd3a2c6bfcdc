"""`esfbank crawl`: the nightly incremental crawl (and the flags `backfill` and `demo` share).

Pages whose sitemap lastmod did not change are not requested; the rest are asked for with
If-None-Match / If-Modified-Since, so an unchanged page costs a 304. Exit 1 when the share of
failed pages passes the threshold (`--failure-threshold`, ESFBANK_FAILURE_THRESHOLD), when a
discovery source (robots.txt, a sitemap, a listing) could not be read (the run is then
incomplete and removes nothing), or when the mass-removal guard refused the run's removals
(`--max-removed-share`, ESFBANK_MAX_REMOVED_SHARE; `--allow-mass-removal` accepts them once).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esfbank import config
from esfbank.commands._options import add_archive_option, add_db_option, add_removal_options
from esfbank.errors import UsageError
from esfbank.lifetime import long_lived_imports

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from crawler.context import Mode
    from crawler.lifecycle import CrawlResult
    from load.store import Store


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "crawl",
        help="nightly incremental crawl into the database",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_crawl_arguments(p)
    p.add_argument(
        "--urls",
        type=Path,
        metavar="FILE",
        help="crawl only these pages: one URL or project number (2019/00145) per line",
    )
    p.set_defaults(run=run)


def add_fetch_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of every command that asks the site (crawls and `discover`); each overrides its
    ESFBANK_* environment variable."""
    p.add_argument(
        "--base-url",
        default=None,
        help=f"site to crawl (default ESFBANK_BASE_URL or {config.DEFAULT_BASE_URL})",
    )
    p.add_argument("--user-agent", help="User-Agent with a contact address (ESFBANK_USER_AGENT)")
    p.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="concurrent requests per site (default 2, ESFBANK_CONCURRENCY)",
    )
    p.add_argument(
        "--download-delay", type=float, metavar="S", help="seconds between requests to a site"
    )
    p.add_argument(
        "--no-autothrottle",
        action="store_true",
        help="fixed concurrency instead of AutoThrottle (for loopback benchmarks)",
    )


def fetch_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The Scrapy settings `add_fetch_arguments`' flags give (None: not given)."""
    return {
        "USER_AGENT": args.user_agent,
        "CONCURRENT_REQUESTS_PER_DOMAIN": _positive(args.concurrency, "--concurrency"),
        "DOWNLOAD_DELAY": args.download_delay,
        "AUTOTHROTTLE_ENABLED": False if args.no_autothrottle else None,
    }


def settings_and_seeds(
    flags: dict[str, Any], seeds_file: Path | None, base_url: str
) -> tuple[Settings, tuple[str, ...]]:
    """The crawl's settings with these flags, and the seed list's URLs: usage errors if bad."""
    from crawler.discovery import SeedError, read_seeds
    from crawler.settings import SettingsError, crawl_settings

    try:
        settings = crawl_settings(flags)
        seeds = tuple(read_seeds(seeds_file, base_url)) if seeds_file else ()
    except (SettingsError, SeedError) as exc:
        raise UsageError(str(exc)) from None
    return settings, seeds


def add_crawl_arguments(p: argparse.ArgumentParser) -> None:
    """Flags every crawling command takes; each overrides its ESFBANK_* environment variable."""
    add_fetch_arguments(p)
    add_db_option(p)
    add_archive_option(p)
    p.add_argument(
        "--failure-threshold",
        type=float,
        metavar="SHARE",
        help="exit 1 when more than this share of pages failed (default 0.05)",
    )
    p.add_argument(
        "--progress-seconds", type=float, metavar="S", help="seconds between progress lines"
    )
    add_removal_options(p)


def run(args: argparse.Namespace) -> int:
    return execute(args, mode="incremental", seeds_file=args.urls)


def execute(
    args: argparse.Namespace,
    *,
    mode: Mode,
    seeds_file: Path | None = None,
    resume: bool = False,
    command: str = "crawl",
    wayback_url: str | None = None,
) -> int:
    """Validate flags, open the database, crawl, print the summary, pick the exit code."""
    with long_lived_imports():
        from crawler.context import CrawlOptions
        from crawler.runner import journal_path, run_crawl

    base_url = _base_url(args.base_url)
    flags = {
        **fetch_flags(args),
        "ESFBANK_FAILURE_THRESHOLD": args.failure_threshold,
        "ESFBANK_PROGRESS_SECONDS": args.progress_seconds,
        "ESFBANK_MAX_REMOVED_SHARE": args.max_removed_share,
    }
    settings, seeds = settings_and_seeds(flags, seeds_file, base_url)
    db_url = config.db_url(args.db)
    archive_dir = writable_archive(config.archive_dir(args.archive))
    journal = journal_path(archive_dir, db_url) if mode == "full" else None
    if resume and journal is not None and not journal.exists():
        print(f"{command}: no interrupted backfill of this database to resume: starting one")
    store = open_migrated_store(db_url)
    try:
        options = CrawlOptions(
            base_url=base_url,
            mode=mode,
            seeds=seeds,
            wayback_url=wayback_url,
            max_removed_share=settings.getfloat("ESFBANK_MAX_REMOVED_SHARE"),
            allow_mass_removal=args.allow_mass_removal,
        )
        result = run_crawl(
            options,
            settings,
            store=store,
            archive_dir=archive_dir,
            journal_file=journal,
            resume=resume,
        )
    finally:
        store.close()
    threshold = settings.getfloat("ESFBANK_FAILURE_THRESHOLD")
    print_summary(command, result, threshold)
    # What the run leaves behind lives until the process ends: frozen, the interpreter's
    # collections at exit skip it (a quarter of a second, most of a no-change night's run).
    gc.freeze()
    if result.database_error is not None:
        print(f"{command}: error: the database failed: {result.database_error}", file=sys.stderr)
    elif result.status == "ok" and result.removal is not None and result.removal.refused:
        print(f"{command}: error: removals refused: {result.removal.refusal}", file=sys.stderr)
    return result.exit_code(threshold)  # discovery failures: each named by the summary


def open_migrated_store(db_url: str) -> Store:
    """The store for `db_url`, its schema brought up to date (a fresh SQLite file just works);
    one it cannot open or write is a usage error (exit 2): the command cannot start."""
    import sqlalchemy as sa

    from load.engine import describe, sqlite_file
    from load.store import DatabaseUnavailableError, open_store

    try:
        path = sqlite_file(sa.make_url(db_url))
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        return open_store(db_url, stale_after=config.stale_run_after())
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"database {describe(db_url)}: {exc}") from None
    except OSError as exc:
        folder = f"cannot create its folder: {exc.strerror}"
        raise UsageError(f"database {describe(db_url)}: {folder}") from None
    except DatabaseUnavailableError as exc:
        raise UsageError(str(exc)) from None


def writable_archive(path: Path) -> Path:
    """The archive directory, created if need be; one that cannot be written is a usage error
    (every response goes there first, so a crawl without it would lose everything)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--archive {path}: cannot create it: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--archive {path}: not writable")
    return path


def print_summary(command: str, result: CrawlResult, threshold: float) -> None:
    t = result.tally
    loaded = t.loaded
    skipped_by_lastmod = t.seen_unchanged - t.not_modified
    print(
        f"{command}: run {result.run_id} {result.status} in {result.elapsed_seconds:.1f}s: "
        f"{t.pages_done} pages: {t.fetched} downloaded, {skipped_by_lastmod} unchanged by "
        f"sitemap lastmod (not requested), {t.not_modified} answered 304, {t.gone} gone (404/410)"
    )
    print(
        f"{command}: records: {loaded.new} new, {loaded.changed} changed, "
        f"{loaded.unchanged} unchanged, {loaded.skipped} calls/listings/other (archived only), "
        f"{t.removed} removed; {t.robots_blocked} disallowed by robots.txt"
    )
    share = result.failure_share()
    print(
        f"{command}: {t.failed} failed ({share:.1%}, threshold {threshold:.1%})"
        + ("" if result.complete else "; run incomplete, so no page was removed as unlisted")
    )
    for failure in result.discovery_failures:
        print(f"{command}: discovery source not read: {failure}", file=sys.stderr)


def _base_url(flag: str | None) -> str:
    url = flag or os.environ.get("ESFBANK_BASE_URL") or config.DEFAULT_BASE_URL
    return site_root(url, "--base-url")


def site_root(url: str, flag: str) -> str:
    """`url` without a trailing slash, if it is the root of an http(s) site; else a usage error
    naming the flag (the check is crawler.discovery's, which `scrapy crawl esf` uses too)."""
    from crawler.discovery import site_root as checked

    try:
        return checked(url)
    except ValueError as exc:
        raise UsageError(f"{flag} {exc}") from None


def _positive(value: int | None, flag: str) -> int | None:
    if value is not None and value < 1:
        raise UsageError(f"{flag} {value}: must be at least 1")
    return value
