"""`esfbank reparse`: rebuild records from the raw archive alone, offline (after a parser fix).

Every page URL's newest archived 200 copy is parsed again and upserted, exactly as the crawl
pipeline does it (changed records get a new version, unchanged ones write nothing); a page whose
newest answer since was 404/410 is then flagged removed. Pages a crawl removed because no
discovery source listed them any more are not known to the archive: they stay as they are.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from esfbank import config
from esfbank.commands._options import add_archive_option, add_db_option
from esfbank.errors import UsageError

if TYPE_CHECKING:
    from load.archive import Archive, ArchiveEntry
    from load.store import LoadItem

PROGRESS_EVERY = 1000


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "reparse",
        help="rebuild the database from the raw archive, offline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(p)
    add_archive_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from esfbank.commands.crawl import open_migrated_store
    from load.archive import Archive
    from load.store import RunCounts

    archive_dir = config.archive_dir(args.archive)
    if not (archive_dir / "index").is_dir():
        raise UsageError(f"--archive {archive_dir}: no raw archive there (nothing was crawled)")
    archive = Archive(archive_dir)
    pages = archive.pages()
    store = open_migrated_store(config.db_url(args.db))
    try:
        run_id = store.begin_run("reparse")
        try:
            counts = store.upsert(_load_items(archive, pages.latest.values()), run_id)
            removed = store.mark_removed(sorted(pages.gone), run_id) if pages.gone else 0
        except BaseException as exc:
            store.abandon_run(run_id, exc)
            raise
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
            ),
        )
    finally:
        store.close()
    print(
        f"reparse: run {run_id}: {len(pages.latest)} archived pages: {counts.new} new, "
        f"{counts.changed} changed, {counts.unchanged} unchanged, {counts.failed} failed, "
        f"{counts.skipped} calls/listings/other; {removed} removed (404/410)"
    )
    return 1 if counts.failed else 0


def _load_items(archive: Archive, entries: Iterable[ArchiveEntry]) -> Iterator[LoadItem]:
    """The pipeline's own LoadItem for each archived page, with progress on stderr."""
    from crawler.items import FetchedPage
    from crawler.pipelines import is_html_content_type, load_item
    from crawler.wayback import capture_time

    for done, entry in enumerate(entries, start=1):
        assert entry.body_key is not None
        yield load_item(
            FetchedPage(
                url=entry.url,
                body=archive.read_body(entry.body_key),
                is_html=is_html_content_type(entry.header("Content-Type")),
                fetched_at=entry.fetched_at,
                archive_key=entry.body_key,
                etag=entry.header("ETag"),
                last_modified=entry.header("Last-Modified"),
                sitemap_lastmod=None,
                capture_url=entry.capture_url,
                captured_at=capture_time(entry.capture_url) if entry.capture_url else None,
            )
        )
        if done % PROGRESS_EVERY == 0:
            print(f"reparse: {done} pages parsed", file=sys.stderr, flush=True)
