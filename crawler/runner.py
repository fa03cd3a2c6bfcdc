"""Run one crawl in this process: open the run, crawl, apply the removal rule, close the run.

The commands (`crawl`, `backfill`, `demo`) build `CrawlOptions` and settings and call
`run_crawl`; this module owns the order of things around the Scrapy process:

1. `begin_run` (a backfill resuming closes the run it interrupted and reads its journal);
2. the crawl (the pipeline flushes its last batch when the spider closes, Ctrl-C included);
3. the removals: the pages answered 404/410, and, if the run was complete (it finished, every
   discovery source was read, no seed list), every URL still live in url_state that no discovery
   source listed and that may leave that way (crawler.removal); all flagged together, unless
   the mass-removal guard refuses them (then none is, and the run records why);
4. `finish_run` with the counts.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import discovery
from crawler.context import CrawlContext, CrawlOptions, Tally
from crawler.journal import Journal, read_journal
from crawler.removal import Verdict, judge, unlisted_may_leave
from crawler.spiders.esf import EsfSpider
from load.archive import Archive
from load.sources.discovery import dropped_numbers
from load.store import RunCounts, Store

FINISHED = "finished"


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


def journal_path(archive_dir: Path, db_url: str) -> Path:
    """One backfill journal per database, kept beside the archive the backfill fills."""
    digest = hashlib.sha256(db_url.encode()).hexdigest()[:16]
    return archive_dir / "journals" / f"backfill-{digest}.jsonl"


def run_crawl(
    options: CrawlOptions,
    settings: Settings,
    *,
    store: Store,
    archive_dir: Path,
    journal_file: Path | None = None,
    resume: bool = False,
) -> CrawlResult:
    """Crawl once; `journal_file` makes it a resumable backfill (`resume` continues one)."""
    archive = Archive(archive_dir)
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
    context = CrawlContext(
        options=options,
        archive=archive,
        store=store,
        run_id=run_id,
        journal=journal,
        done=dict(earlier.done) if earlier is not None else {},
    )
    try:
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(EsfSpider)
        process.crawl(crawler, context=context)
        process.start()
        stats = crawler.stats
        finish_reason = str(stats.get_value("finish_reason", "unknown")) if stats else "unknown"
        elapsed = _elapsed(stats.get_stats() if stats else {})
        complete = (
            finish_reason == FINISHED and not context.discovery_failures and not options.seeds
        )
        finished = finish_reason == FINISHED
        removal = (
            _remove(store, context, complete=complete, finished=finished)
            if context.database_error is None
            else None
        )
        status = _status(finish_reason, context)
        _finish_run(store, run_id, status, context, removal)
        if journal is not None:
            if finish_reason == FINISHED:
                journal.finish()
            else:
                journal.close()
    finally:
        archive.close()
    return CrawlResult(
        run_id=run_id,
        status=status,
        complete=complete,
        finish_reason=finish_reason,
        tally=context.tally,
        discovery_failures=tuple(context.discovery_failures),
        elapsed_seconds=elapsed,
        database_error=context.database_error,
        removal=removal,
    )


def _status(finish_reason: str, context: CrawlContext) -> str:
    if context.database_error is not None:
        return "failed"
    return "ok" if finish_reason == FINISHED else "interrupted"


def _finish_run(
    store: Store, run_id: int, status: str, context: CrawlContext, removal: Verdict | None
) -> None:
    """Close the run row; a database that already failed may refuse that too (then it stays
    `running`, and the error the crawl stopped on is what the command reports)."""
    counts = context.tally.run_counts()
    if removal is not None and removal.refused:
        counts = replace(
            counts, removals_withheld=removal.would_remove, removal_refusal=removal.refusal
        )
    try:
        store.finish_run(run_id, status, counts)
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
    families = store.removal_families(sorted(candidates))
    options = context.options
    verdict = judge(
        Counter(families.values()),
        store.live_families() if families else {},
        options.max_removed_share,
        allow=options.allow_mass_removal,
    )
    if families and not verdict.refused:
        context.tally.removed += store.mark_removed(sorted(families), context.run_id)
    return verdict


def _dropped_from_export(store: Store, context: CrawlContext) -> set[str]:
    """`?dnr=` pages whose number the newest export no longer lists, and that no discovery
    source of this run listed, leave (whether or not the run was complete: the export, not
    the crawl, says they are gone)."""
    base = context.options.base_url
    urls = {discovery.project_url(base, number) for number in dropped_numbers(store.engine)}
    return (urls - context.listed).intersection(store.live_urls(containing="?dnr="))


def _elapsed(stats: dict[str, object]) -> float:
    start, finish = stats.get("start_time"), stats.get("finish_time")
    if start is None or finish is None:
        return 0.0
    return float((finish - start).total_seconds())  # type: ignore[operator]
