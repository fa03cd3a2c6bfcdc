"""The pipeline writes in batches, journals only what the database committed, and stops the
crawl (losing nothing it had written) when the database fails."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import sqlalchemy as sa

from crawler.context import CrawlContext, CrawlOptions
from crawler.items import FetchedPage, FetchFailed, Gone, Redirected, Seen
from crawler.journal import Journal, read_journal
from crawler.pipelines import DATABASE_ERROR, ArchiveParseLoadPipeline
from crawler.settings import crawl_settings
from load.archive import Archive
from load.store import Redirect, Store, UpsertCounts
from tests.hostile_pages import fetched

NEWS_HTML = (
    "<html><head><title>Nyhet</title></head><body><h1>Ny utlysning</h1>"
    "<p>21 januari 2020</p><p>Svenska ESF-rådet utlyser medel.</p></body></html>"
).encode()


class RecordingStore:
    """Stands in for load.store.Store: records calls, or fails like a database gone away."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[tuple[str, Any]] = []

    def upsert(self, items: list[Any], run_id: int) -> UpsertCounts:
        if self.fail:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        self.calls.append(("upsert", [item.url for item in items]))
        return UpsertCounts(new=len(items))

    def touch_seen(
        self, urls: list[str], run_id: int, not_modified: dict[str, str] | None = None
    ) -> None:
        self.calls.append(("touch_seen", list(urls)))

    def record_redirects(self, redirects: list[Redirect], run_id: int) -> None:
        self.calls.append(("record_redirects", list(redirects)))

    def mark_removed(self, urls: list[str], run_id: int) -> int:
        self.calls.append(("mark_removed", list(urls)))
        return len(urls)

    def quarantine(self, run_id: int, *, url: str, message: str, archive_key: str | None) -> None:
        self.calls.append(("quarantine", url))


class StoppableEngine:
    def __init__(self) -> None:
        self.stopped_for: list[str] = []

    def close_spider_async(self, *, reason: str) -> None:
        self.stopped_for.append(reason)


def _pipeline(tmp_path: Path, store: RecordingStore, batch_size: int) -> ArchiveParseLoadPipeline:
    context = CrawlContext(
        options=CrawlOptions(base_url="http://127.0.0.1:9", mode="full"),
        archive=Archive(tmp_path / "archive"),
        store=cast(Store, store),
        run_id=1,
        journal=Journal.start(tmp_path / "journal.jsonl", run_id=1),
    )
    settings = crawl_settings({"ESFBANK_BATCH_SIZE": batch_size}, environ={})
    crawler = SimpleNamespace(
        settings=settings, spider=SimpleNamespace(context=context), engine=StoppableEngine()
    )
    return ArchiveParseLoadPipeline(cast(Any, crawler))


def _page(n: int) -> FetchedPage:
    return fetched(
        f"http://127.0.0.1:9/nyheter/n{n}/", NEWS_HTML, "text/html; charset=utf-8", f"k{n}"
    )


def test_outcomes_are_written_in_batches_and_journalled_after(tmp_path: Path) -> None:
    store = RecordingStore()
    pipeline = _pipeline(tmp_path, store, batch_size=3)
    for item in (
        _page(1),
        Seen(("http://127.0.0.1:9/a/",), not_modified=True),
        Gone("http://127.0.0.1:9/b/", 410),
        FetchFailed("http://127.0.0.1:9/c/", "TimeoutError"),
    ):
        pipeline.process_item(item)
    assert [name for name, _ in store.calls] == ["upsert", "touch_seen", "quarantine"]
    assert len(read_journal(tmp_path / "journal.jsonl").done) == 3

    pipeline.process_item(_page(2))
    assert len(read_journal(tmp_path / "journal.jsonl").done) == 3  # not flushed yet
    pipeline.close_spider()
    assert store.calls[-1] == ("upsert", ["http://127.0.0.1:9/nyheter/n2/"])
    assert len(read_journal(tmp_path / "journal.jsonl").done) == 4
    tally = pipeline.context.tally
    assert (tally.fetched, tally.seen_unchanged, tally.not_modified, tally.gone) == (2, 1, 1, 1)
    assert (tally.fetch_failed, tally.removed, tally.loaded.new) == (1, 0, 2)


def test_gone_pages_are_held_for_the_end_of_the_run_and_not_journalled(tmp_path: Path) -> None:
    """The runner flags them all at once, so the mass-removal guard can count them; a resumed
    backfill asks for them again rather than lose their removal with the killed process."""
    store = RecordingStore()
    pipeline = _pipeline(tmp_path, store, batch_size=1)
    pipeline.process_item(Gone("http://127.0.0.1:9/b/", 410))
    pipeline.process_item(Gone("http://127.0.0.1:9/c/", 404))
    pipeline.close_spider()
    assert store.calls == []
    assert pipeline.context.gone == ["http://127.0.0.1:9/b/", "http://127.0.0.1:9/c/"]
    assert read_journal(tmp_path / "journal.jsonl").done == {}
    assert (pipeline.context.tally.gone, pipeline.context.tally.removed) == (2, 0)


def test_pages_skipped_by_one_sitemap_come_as_one_item_and_count_each(tmp_path: Path) -> None:
    store = RecordingStore()
    pipeline = _pipeline(tmp_path, store, batch_size=3)
    urls = tuple(f"http://127.0.0.1:9/p{n}/" for n in range(5))
    pipeline.process_item(Seen(urls, not_modified=False))
    assert store.calls == [("touch_seen", list(urls))]
    assert set(read_journal(tmp_path / "journal.jsonl").done) == set(urls)
    tally = pipeline.context.tally
    assert (tally.seen_unchanged, tally.not_modified, tally.pages_done) == (5, 0, 5)


def test_a_failing_database_stops_the_crawl_and_journals_nothing(tmp_path: Path) -> None:
    store = RecordingStore(fail=True)
    pipeline = _pipeline(tmp_path, store, batch_size=2)
    pipeline.process_item(_page(1))
    pipeline.process_item(_page(2))

    assert pipeline.context.database_error == "disk I/O error"
    assert pipeline.crawler.engine.stopped_for == [DATABASE_ERROR]  # type: ignore[attr-defined]
    assert read_journal(tmp_path / "journal.jsonl").done == {}

    store.fail = False  # later batches are not written over a half-failed run
    pipeline.process_item(_page(3))
    pipeline.close_spider()
    assert store.calls == []


def test_redirect_targets_skipped_with_their_source_are_seen_but_not_counted(
    tmp_path: Path,
) -> None:
    store = RecordingStore()
    pipeline = _pipeline(tmp_path, store, batch_size=1)
    old, new = "http://127.0.0.1:9/gammal/", "http://127.0.0.1:9/ny/"
    pipeline.process_item(Seen((old,), not_modified=False, targets=(new,)))
    assert store.calls == [("touch_seen", [old, new])]
    assert set(read_journal(tmp_path / "journal.jsonl").done) == {old}
    tally = pipeline.context.tally
    assert (tally.seen_unchanged, tally.pages_done) == (1, 1)


def test_a_redirect_is_written_with_its_batch_even_alone(tmp_path: Path) -> None:
    """The redirect's source is not journalled (a resumed backfill asks for it again), yet a
    batch holding only a redirect is still written."""
    store = RecordingStore()
    pipeline = _pipeline(tmp_path, store, batch_size=10)
    fetched_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    item = Redirected(
        url="http://127.0.0.1:9/gammal/",
        target="http://127.0.0.1:9/nyheter/n1/",
        status=301,
        fetched_at=fetched_at,
        sitemap_lastmod="2026-01-01",
    )
    pipeline.process_item(item)
    pipeline.close_spider()
    expected = Redirect(
        url=item.url,
        target=item.target,
        http_status=301,
        fetched_at=fetched_at,
        sitemap_lastmod="2026-01-01",
    )
    assert store.calls == [("record_redirects", [expected])]
    assert read_journal(tmp_path / "journal.jsonl").done == {}
    assert pipeline.context.tally.pages_done == 0
