"""A run's life around the crawl, shared by `esfbank crawl` and `scrapy crawl esf`.

`open_run` opens it (the store closes runs left `running` by a killed process when it begins
this one; a backfill resuming closes the run it interrupted and reads its journal) and returns
the `Run` whose context the spider crawls with. The spider's `closed` hook calls `Run.close`
once the pipeline flushed its last batch:

1. the removals: the pages answered 404/410, and, if the run was complete (it finished, every
   discovery source was read, no seed list), every URL still live in url_state that no discovery
   source listed and that may leave that way (crawler.removal), and the `?dnr=` pages the newest
   export dropped; all flagged together, unless the mass-removal guard refuses them (then none
   is, and the run records why);
2. `finish_run` with the counts, and the backfill journal finished (or kept, to resume);
3. the outcome, a `CrawlResult`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from crawler import discovery
from crawler.context import CrawlContext, CrawlOptions, Tally
from crawler.journal import Journal, read_journal
from crawler.removal import Verdict, flag_removals, unlisted_may_leave
from crawler.settings import yes_no
from load.archive import Archive
from load.engine import DatabaseUnavailableError, describe, sqlite_file
from load.sources.discovery import dropped_numbers
from load.store import RunCounts, Store, open_store

log = logging.getLogger(__name__)

FINISHED = "finished"
INTERRUPTED = 130  # the exit code of a run stopped before its end (as a shell reports Ctrl-C)
STATS_PREFIX = "esfbank/"  # the outcome's keys in Scrapy's stats
EXIT_CODE = "exit_code"  # the key `scrapy crawl` exits with (crawler/commands/crawl.py)
# The `-a` arguments `scrapy crawl esf` takes (yes/no ones: 1/0, true/false, yes/no, on/off).
ARGUMENTS = ("base_url", "backfill", "resume", "wayback_url", "allow_mass_removal")


@dataclass(frozen=True, slots=True)
class CrawlResult:
    run_id: int
    status: str  # ok | interrupted | failed (the database stopped taking writes)
    complete: bool
    finish_reason: str
    tally: Tally
    discovery_failures: tuple[str, ...]
    elapsed_seconds: float
    database_error: str | None = None
    removal: Verdict | None = None  # what the mass-removal guard made of the run's removals

    def failure_share(self) -> float:
        attempted = self.tally.pages_done
        return self.tally.failed / attempted if attempted else 0.0

    def exit_code(self, failure_threshold: float) -> int:
        """What the command that ran the crawl exits with, `esfbank crawl` or `scrapy crawl`:
        1 when the database failed, the guard refused the removals, a discovery source was
        not read (the run is incomplete) or more than `failure_threshold` of the pages
        failed; INTERRUPTED when the run stopped before its end; else 0."""
        if self.database_error is not None:
            return 1
        if self.status != "ok":
            return INTERRUPTED
        if self.removal is not None and self.removal.refused:
            return 1
        if self.discovery_failures:
            return 1
        return 1 if self.failure_share() > failure_threshold else 0


def journal_path(archive_dir: Path, db_url: str) -> Path:
    """One backfill journal per database, kept beside the archive the backfill fills."""
    digest = hashlib.sha256(db_url.encode()).hexdigest()[:16]
    return archive_dir / "journals" / f"backfill-{digest}.jsonl"


class Run:
    """One open run: its context, and what closing it needs. `owns_store`: the run opened the
    store itself (`scrapy crawl`) and closes it too; a command closes the store it opened."""

    def __init__(self, context: CrawlContext, archive: Archive, *, owns_store: bool) -> None:
        self.context = context
        self._archive = archive
        self._owns_store = owns_store
        self.result: CrawlResult | None = None
        # An error closing the run raised inside Scrapy's signal handling (which would only log
        # it): `run_crawl` raises it again, as it did when it closed runs itself.
        self.error: BaseException | None = None

    def close(self, finish_reason: str, elapsed_seconds: float) -> CrawlResult:
        """Apply the removal rule, close the run row and the journal, give the outcome."""
        context = self.context
        store = context.store
        assert store is not None
        try:
            options = context.options
            finished = finish_reason == FINISHED
            complete = finished and not context.discovery_failures and not options.seeds
            removal = (
                _remove(store, context, complete=complete, finished=finished)
                if context.database_error is None
                else None
            )
            status = _status(finish_reason, context)
            _finish_run(store, status, context, removal)
            if context.journal is not None:
                if finished:
                    context.journal.finish()
                else:
                    context.journal.close()
        finally:
            self.release()
        self.result = CrawlResult(
            run_id=context.run_id,
            status=status,
            complete=complete,
            finish_reason=finish_reason,
            tally=context.tally,
            discovery_failures=tuple(context.discovery_failures),
            elapsed_seconds=elapsed_seconds,
            database_error=context.database_error,
            removal=removal,
        )
        return self.result

    def release(self) -> None:
        """Close the archive (and the store the run opened); safe to call twice."""
        self._archive.close()
        if self._owns_store and self.context.store is not None:
            self.context.store.close()


def open_run(
    options: CrawlOptions,
    *,
    store: Store,
    archive_dir: Path,
    journal_file: Path | None = None,
    resume: bool = False,
    owns_store: bool = False,
) -> Run:
    """Begin a run; `journal_file` makes it a resumable backfill (`resume` continues one)."""
    run_kind = "backfill" if journal_file is not None else "crawl"
    earlier = read_journal(journal_file) if journal_file is not None and resume else None
    if earlier is not None and earlier.run_id is not None:
        store.finish_run(earlier.run_id, "interrupted", RunCounts())
    run_id = store.begin_run(run_kind)
    journal = None
    if journal_file is not None:
        journal = (
            Journal.reopen(journal_file, run_id)
            if earlier is not None and journal_file.exists()
            else Journal.start(journal_file, run_id)
        )
    archive = Archive(archive_dir)
    context = CrawlContext(
        options=options,
        archive=archive,
        store=store,
        run_id=run_id,
        journal=journal,
        done=dict(earlier.done) if earlier is not None else {},
    )
    return Run(context, archive, owns_store=owns_store)


def options_from_settings(settings: BaseSettings, arguments: Mapping[str, str]) -> CrawlOptions:
    """What `scrapy crawl esf` crawls: `-a base_url=URL` (else ESFBANK_BASE_URL), `-a
    backfill=1` a backfill, `-a wayback_url=URL` the legacy bank too, `-a
    allow_mass_removal=1` as the command's flag (see ARGUMENTS)."""
    return CrawlOptions(
        base_url=discovery.site_root(arguments.get("base_url") or settings.get("ESFBANK_BASE_URL")),
        mode="full" if _flag(arguments, "backfill") else "incremental",
        wayback_url=discovery.site_root(arguments["wayback_url"])
        if "wayback_url" in arguments
        else None,
        max_removed_share=settings.getfloat("ESFBANK_MAX_REMOVED_SHARE"),
        allow_mass_removal=_flag(arguments, "allow_mass_removal"),
    )


def open_from_settings(
    settings: BaseSettings, options: CrawlOptions, arguments: Mapping[str, str]
) -> Run:
    """The run `scrapy crawl esf` opens: the database ESFBANK_DB, migrated as `esfbank crawl`
    migrates it, and the archive ESFBANK_ARCHIVE (`-a resume=1` resumes a backfill). The run
    closes the store itself."""
    db_url = str(settings.get("ESFBANK_DB"))
    archive_dir = Path(settings.get("ESFBANK_ARCHIVE"))
    archive_dir.mkdir(parents=True, exist_ok=True)
    try:
        path = sqlite_file(sa.make_url(db_url))
    except sa.exc.ArgumentError as exc:
        raise DatabaseUnavailableError(f"ESFBANK_DB {describe(db_url)}: {exc}") from None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    stale = dt.timedelta(minutes=settings.getfloat("ESFBANK_STALE_RUN_MINUTES"))
    store = open_store(db_url, stale_after=stale)
    journal = journal_path(archive_dir, db_url) if options.mode == "full" else None
    try:
        return open_run(
            options,
            store=store,
            archive_dir=archive_dir,
            journal_file=journal,
            resume=_flag(arguments, "resume"),
            owns_store=True,
        )
    except BaseException:
        store.close()
        raise


def record_outcome(
    stats: StatsCollector | None, result: CrawlResult, failure_threshold: float
) -> None:
    """The outcome in Scrapy's stats (what `scrapy crawl` and scrapyd show, and the exit code
    `scrapy crawl` takes from them), and in the log."""
    t = result.tally
    outcome = {
        "run_id": result.run_id,
        "status": result.status,
        "complete": result.complete,
        "pages": t.pages_done,
        "downloaded": t.fetched,
        "new": t.loaded.new,
        "changed": t.loaded.changed,
        "removed": t.removed,
        "failed": t.failed,
    }
    if result.removal is not None and result.removal.refused:
        outcome["removals_refused"] = result.removal.would_remove
    outcome[EXIT_CODE] = result.exit_code(failure_threshold)
    if stats is not None:
        for key, value in outcome.items():
            stats.set_value(f"{STATS_PREFIX}{key}", value)
    log.info("esfbank run: %s", ", ".join(f"{k} {v}" for k, v in outcome.items()))
    for failure in result.discovery_failures:
        log.error("discovery source not read: %s", failure)
    if result.database_error is not None:
        log.error("the database failed: %s", result.database_error)


def _flag(arguments: Mapping[str, str], name: str) -> bool:
    return name in arguments and yes_no(arguments[name])


def _status(finish_reason: str, context: CrawlContext) -> str:
    if context.database_error is not None:
        return "failed"
    return "ok" if finish_reason == FINISHED else "interrupted"


def _finish_run(store: Store, status: str, context: CrawlContext, removal: Verdict | None) -> None:
    """Close the run row; a database that already failed may refuse that too (then it stays
    `running`, and the error the crawl stopped on is what the command reports)."""
    counts = context.tally.run_counts()
    if removal is not None and removal.refused:
        counts = replace(
            counts, removals_withheld=removal.withheld, removal_refusal=removal.refusal
        )
    try:
        store.finish_run(context.run_id, status, counts)
    except sa.exc.SQLAlchemyError:
        if context.database_error is None:
            raise


def _remove(store: Store, context: CrawlContext, *, complete: bool, finished: bool) -> Verdict:
    """Flag the run's removals together, or none of them if the guard refuses."""
    candidates = set(context.gone)
    if complete:
        candidates.update(
            url
            for url in store.live_urls()
            if url not in context.listed and unlisted_may_leave(url)
        )
    if finished and not context.options.seeds:
        candidates.update(_dropped_from_export(store, context))
    options = context.options
    verdict, removed = flag_removals(
        store,
        candidates,
        context.run_id,
        options.max_removed_share,
        allow=options.allow_mass_removal,
    )
    context.tally.removed += removed
    return verdict


def _dropped_from_export(store: Store, context: CrawlContext) -> set[str]:
    """`?dnr=` pages whose number the newest export no longer lists, and that no discovery
    source of this run listed, leave (whether or not the run was complete: the export, not
    the crawl, says they are gone)."""
    base = context.options.base_url
    urls = {discovery.project_url(base, number) for number in dropped_numbers(store.engine)}
    return (urls - context.listed).intersection(store.live_urls(containing="?dnr="))
