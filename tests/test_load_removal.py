"""The store's side of removal on both backends: pages from the Internet Archive are history
(never live, never flagged), the guard's counts per family, the `?dnr=` pages a crawl asks
again, and a refused run's record in crawl_runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from load import schema as t
from load.store import LoadItem, RunCounts, Store, open_store
from parsers.records import NewsRecord, Source
from tests.plugins.db import FreshDb, synthetic_project

LEGACY = "http://www.esf.se/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/Gammalt/"
CAPTURE = f"https://web.archive.org/web/20130615083000id_/{LEGACY}"
CAPTURED = dt.datetime(2013, 6, 15, 8, 30, tzinfo=dt.UTC)
NEWS = "https://www.esf.se/nyheter/en-nyhet/"
LISTING = "https://www.esf.se/resultat/projektbanken/"


@pytest.fixture
def store(fresh_db: FreshDb) -> Iterator[Store]:
    opened = open_store(fresh_db.url)
    run_id = opened.begin_run("crawl")
    live = [LoadItem(record=synthetic_project(i)) for i in range(3)]
    legacy = LoadItem(
        record=synthetic_project(9, source=Source(url=LEGACY)),
        capture_url=CAPTURE,
        captured_at=CAPTURED,
        http_status=200,
    )
    news = LoadItem(record=NewsRecord(source=Source(url=NEWS), title="Nyhet", body="Text."))
    opened.upsert([*live, legacy, news], run_id)
    opened.touch_seen([LISTING], run_id)  # no row: touch_seen only updates
    yield opened
    opened.close()


def _dnr(i: int) -> str:
    return f"https://www.esf.se/resultat/projektbanken/projekt/?dnr=2019/{i:05d}"


def test_a_page_from_the_archive_keeps_its_capture_and_is_never_live(store: Store) -> None:
    (state,) = store.url_states([LEGACY]).values()
    assert state.capture_url == CAPTURE
    with store.engine.connect() as conn:
        captured = conn.execute(
            sa.select(t.url_state.c.captured_at).where(t.url_state.c.url == LEGACY)
        ).scalar_one()
    assert captured == CAPTURED
    assert LEGACY not in store.live_urls()
    assert sorted(store.live_urls()) == sorted([NEWS, *(_dnr(i) for i in range(3))])


def test_a_page_from_the_archive_is_never_flagged_removed(store: Store) -> None:
    run_id = store.begin_run("crawl")
    assert store.mark_removed([LEGACY, _dnr(0)], run_id) == 1
    with store.engine.connect() as conn:
        query = sa.select(t.projects.c.source_url, t.projects.c.removed_at)
        removed = dict(conn.execute(query).all())
    assert removed[LEGACY] is None
    assert removed[_dnr(0)] is not None


def test_reloading_an_archived_page_keeps_its_provenance(store: Store) -> None:
    """`reparse` of an archive written before captures were recorded passes none: kept."""
    item = LoadItem(record=synthetic_project(9, source=Source(url=LEGACY)), http_status=200)
    store.upsert([item], store.begin_run("reparse"))
    assert store.url_states([LEGACY])[LEGACY].capture_url == CAPTURE


def test_the_guard_counts_live_pages_and_removals_by_family(store: Store) -> None:
    assert store.live_families() == {"2014-2020": 3, "news": 1}
    families = store.removal_families([_dnr(1), NEWS, LEGACY, "https://www.esf.se/okand/"])
    assert families == {_dnr(1): "2014-2020", NEWS: "news"}


def test_the_dnr_pages_a_crawl_asks_again_are_the_live_ones(store: Store) -> None:
    store.mark_removed([_dnr(2)], store.begin_run("crawl"))
    assert sorted(store.live_urls(containing="?DNR=")) == [_dnr(0), _dnr(1)]


def test_a_refused_run_records_what_it_withheld_and_why(store: Store) -> None:
    run_id = store.begin_run("crawl")
    store.finish_run(
        run_id, "ok", RunCounts(removals_withheld=7, removal_refusal="7 pages would be …")
    )
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(
                t.crawl_runs.c.removed,
                t.crawl_runs.c.removals_withheld,
                t.crawl_runs.c.removal_refusal,
            ).where(t.crawl_runs.c.id == run_id)
        ).one()
    assert tuple(row) == (0, 7, "7 pages would be …")
