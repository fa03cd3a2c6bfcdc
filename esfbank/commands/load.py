"""`esfbank load PATH...`: parse saved pages and load them into the database (a backfill from
snapshots). Prints a progress line on long runs and the counts at the end; exit 1 when some
inputs failed to parse or were quarantined, 2 when the database URL does not work.

Files are parsed by `--jobs` worker processes (default: one per core) while this process
archives and loads them in input order, so the database is the one `--jobs 1` gives.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esfbank import config
from esfbank.commands._options import add_archive_option, add_db_option, add_jobs_option
from esfbank.commands.parse import error_lines, expand_paths
from esfbank.errors import UsageError

if TYPE_CHECKING:
    from load.store import LoadItem
    from parsers.records import Record

# The seam for archiving what `load` reads: given the file and its record, keep the raw page
# and return its archive key (stored in url_state and parse_errors). None: nothing archived.
ArchivePage = Callable[[Path, "Record"], str | None]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "load",
        help="parse saved pages (.html or .txt snapshots) and load them into the database",
        description="Parse saved pages and upsert them into the database, with history.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a saved page, or a folder of them")
    add_db_option(p)
    add_archive_option(p)
    add_jobs_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from esfbank.commands._runs import closed_if_stopped
    from esfbank.parallel import ordered_map
    from esfbank.progress import Progress
    from load.store import UPSERT_BATCH, RunCounts  # the items side: no SQLAlchemy before forking

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    pages = list(expand_paths(args.paths))
    progress = Progress("esfbank load", len(pages), config.progress_seconds())
    archiver = _archiver(args.archive)  # a usage error is found before any run starts
    parse_failures = 0

    def on_parse_failure() -> None:
        nonlocal parse_failures
        parse_failures += 1

    # Workers start before the database side is imported and opened: none holds a copy of its
    # connections, and its imports load while they parse.
    jobs = config.jobs(args.jobs)
    with ordered_map(
        _parse_file, pages, jobs, ahead=UPSERT_BATCH, preload=("parsers.page",)
    ) as records:
        from load.store import DatabaseUnavailableError, open_store

        try:
            # a missing folder is a typo, not a request for a new database (unlike crawl's)
            store = open_store(config.db_url(args.db), stale_after=config.stale_run_after())
        except DatabaseUnavailableError as exc:
            raise UsageError(str(exc)) from None
        try:
            run_id = store.begin_run("load")
            with closed_if_stopped(store, run_id):
                parsed = zip(pages, records, strict=True)
                items = _items(parsed, on_parse_failure, archiver)
                counts = store.upsert(progress.each(items), run_id, expected=len(pages))
            processed = counts.new + counts.changed + counts.unchanged + counts.failed
            store.finish_run(
                run_id,
                "ok",
                RunCounts(
                    fetched=processed + counts.skipped,
                    new=counts.new,
                    changed=counts.changed,
                    unchanged=counts.unchanged,
                    failed=counts.failed,
                ),
            )
        finally:
            store.close()
    print(
        f"esfbank load: {counts.new} new, {counts.changed} changed, {counts.unchanged} unchanged,"
        f" {counts.skipped} not loaded (calls, listings, other), {counts.failed} quarantined,"
        f" {parse_failures} with parse errors"
    )
    return 1 if parse_failures or counts.failed else 0


def _archiver(flag: str | None) -> ArchivePage:
    """Archive each page under its URL as it is loaded, like the crawler does (load/archive.py);
    an archive directory that cannot be written is a usage error (exit 2), found before the run.
    """
    import datetime as dt

    from esfbank.commands.crawl import writable_archive
    from load.archive import Archive, archive_saved_page

    archive = Archive(writable_archive(config.archive_dir(flag)))
    loaded_at = dt.datetime.now(dt.UTC)
    return lambda path, record: archive_saved_page(archive, path, record.source.url, loaded_at)


def _parse_file(page: tuple[Path, str]) -> Record:
    """One saved page parsed (in a parse worker when there are several jobs)."""
    from parsers.page import parse_path

    path, given = page
    return parse_path(path, display_path=given)


def _items(
    parsed: Iterable[tuple[tuple[Path, str], Record]],
    on_parse_failure: Callable[[], None],
    archive: ArchivePage | None,
) -> Iterator[LoadItem]:
    """Each parsed page as a LoadItem, its errors on stderr and its file archived, in order."""
    from load.store import LoadItem
    from parsers.records import to_json_dict

    for (path, given), record in parsed:
        if record.errors:
            on_parse_failure()
            for line in error_lines(given, to_json_dict(record)["errors"]):
                print(line, file=sys.stderr)
        key = archive(path, record) if archive is not None else None
        yield LoadItem(record=record, archive_key=key)
