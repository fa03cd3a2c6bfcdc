"""`esfbank reparse`: rebuild records from the raw archive alone, offline (after a parser fix).

Every page URL's newest archived 200 copy is parsed again and upserted, exactly as the crawl
pipeline does it (changed records get a new version, unchanged ones write nothing); a page whose
newest answer since was 404/410 is then flagged removed, under the mass-removal guard a crawl
obeys (`--max-removed-share`, `--allow-mass-removal`): the 404s of a crawl whose removals the
guard refused are in the archive too, and are refused again. Pages a crawl removed because no
discovery source listed them any more are not known to the archive: they stay as they are.

Pages are parsed by `--jobs` worker processes (default: one per core) while this process loads
what they parsed, in archive order, so the database is the one `--jobs 1` (all in this process)
gives. A progress line with pages/s and the time left comes every ESFBANK_PROGRESS_SECONDS.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esfbank import config
from esfbank.commands._options import (
    add_archive_option,
    add_db_option,
    add_jobs_option,
    add_removal_options,
)
from esfbank.errors import UsageError

if TYPE_CHECKING:
    from crawler.items import FetchFailed
    from load.archive import ArchiveEntry
    from load.store import LoadItem


WORKER_MODULES = ("crawler.parsing", "parsers.page")  # what parse_archived needs


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "reparse",
        help="rebuild the database from the raw archive, offline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(p)
    add_archive_option(p)
    add_jobs_option(p)
    add_removal_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from functools import partial

    from crawler.removal import flag_removals
    from esfbank.commands._runs import closed_if_stopped
    from esfbank.commands.crawl import open_migrated_store
    from esfbank.parallel import ordered_map
    from esfbank.progress import Progress
    from load.archive import Archive
    from load.store import UPSERT_BATCH, RunCounts  # the items side: no SQLAlchemy before forking

    max_removed_share = config.max_removed_share(args.max_removed_share)
    archive_dir = config.archive_dir(args.archive)
    if not (archive_dir / "index").is_dir():
        raise UsageError(f"--archive {archive_dir}: no raw archive there (nothing was crawled)")
    pages = Archive(archive_dir).pages()
    entries = list(pages.latest.values())
    progress = Progress("esfbank reparse", len(entries), config.progress_seconds())
    parse = partial(parse_archived, archive_dir)
    # Workers start before the database side is imported and opened: none holds a copy of its
    # connections, and its imports (a tenth of a short run) load while they parse.
    jobs = config.jobs(args.jobs)
    with ordered_map(parse, entries, jobs, ahead=UPSERT_BATCH, preload=WORKER_MODULES) as items:
        store = open_migrated_store(config.db_url(args.db))
        try:
            run_id = store.begin_run("reparse")
            crashes: list[FetchFailed] = []
            with closed_if_stopped(store, run_id):
                counts = store.upsert(
                    _loads(progress.each(items), crashes), run_id, expected=len(entries)
                )
                for crash in crashes:
                    store.quarantine(
                        run_id, url=crash.url, message=crash.reason, archive_key=crash.archive_key
                    )
                counts.failed += len(crashes)
                removal, removed = flag_removals(
                    store, pages.gone, run_id, max_removed_share, allow=args.allow_mass_removal
                )
            store.finish_run(
                run_id,
                "ok",
                RunCounts(
                    fetched=0,
                    new=counts.new,
                    changed=counts.changed,
                    unchanged=counts.unchanged,
                    removed=removed,
                    failed=counts.failed,
                    removals_withheld=removal.withheld,
                    removal_refusal=removal.refusal,
                ),
            )
        finally:
            store.close()
    print(
        f"reparse: run {run_id}: {len(pages.latest)} archived pages: {counts.new} new, "
        f"{counts.changed} changed, {counts.unchanged} unchanged, {counts.failed} failed, "
        f"{counts.skipped} calls/listings/other; {removed} removed (404/410)"
    )
    if removal.refused:
        print(f"reparse: error: removals refused: {removal.refusal}", file=sys.stderr)
        return 1
    return 1 if counts.failed else 0


def _loads(
    results: Iterable[LoadItem | FetchFailed], crashes: list[FetchFailed]
) -> Iterator[LoadItem]:
    """The parsed pages, in order; pages the parser crashed on are set aside and said."""
    from load.store import LoadItem

    for result in results:
        if isinstance(result, LoadItem):
            yield result
        else:
            print(f"esfbank reparse: {result.url}: {result.reason}", file=sys.stderr)
            crashes.append(result)


def parse_archived(archive_dir: Path, entry: ArchiveEntry) -> LoadItem | FetchFailed:
    """The pipeline's own LoadItem for an archived page (run in a parse worker: the body is
    read there, so only the entry goes to the worker and only the parsed item comes back);
    a page the parser crashes on comes back as the crawl's FetchFailed, to quarantine."""
    from crawler.items import FetchedPage
    from crawler.parsing import load_item, parser_crash
    from crawler.wayback import capture_time
    from load.archive import Archive

    assert entry.body_key is not None
    page = FetchedPage(
        url=entry.url,
        body=Archive(archive_dir).read_body(entry.body_key),
        content_type=entry.header("Content-Type"),
        fetched_at=entry.fetched_at,
        archive_key=entry.body_key,
        etag=entry.header("ETag"),
        last_modified=entry.header("Last-Modified"),
        sitemap_lastmod=None,
        capture_url=entry.capture_url,
        captured_at=capture_time(entry.capture_url) if entry.capture_url else None,
    )
    try:
        return load_item(page)
    except Exception as exc:  # a parser bug must not end the reparse: quarantine the page
        return parser_crash(page, exc)
