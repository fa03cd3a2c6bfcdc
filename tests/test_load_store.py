"""The store on both backends: idempotent reloads, history, quarantine, crashes, removal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from load import schema as t
from load import search
from load.bulk import insert_rows as bulk_insert
from load.engine import WRITER_LOCK_KEY
from load.store import LoadItem, Redirect, Store, open_store
from load.store import plan as store_plan
from load.store.items import POSTGRES_SWITCH_INTERVAL
from load.store.sql import started_small, tapered
from load.threads import Pending, running
from parsers.page import parse_path
from parsers.records import FieldError, NewsRecord, PageRecord, ProjectRecord, Record, Source
from tests.interrupts import lock_code_run
from tests.plugins.db import FreshDb, synthetic_project, table_snapshot

PAGES = Path(__file__).parent / "fixtures" / "load" / "pages"
# Statements that write the tables of loaded content (everything but bookkeeping).
CONTENT_TABLES = (
    *("projects", "project_versions", "organisations", "news_articles", "news_project_links"),
    *("project_municipalities", "project_partners", "project_cofinanciers"),
)


@functools.cache
def fixture_records() -> tuple[Record, ...]:
    """The seeds and real pages copied under tests/fixtures/load/pages, parsed."""
    return tuple(parse_path(path) for path in sorted(PAGES.iterdir()))


def items(records: Any) -> list[LoadItem]:
    return [LoadItem(record=r) for r in records]


@pytest.fixture
def store(fresh_db: FreshDb) -> Iterator[Store]:
    opened = open_store(fresh_db.url)
    yield opened
    opened.close()


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def writes_to_content_tables(engine: sa.Engine) -> list[str]:
    """Collects INSERT/UPDATE/DELETE statements aimed at content tables while a load runs."""
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        head = statement.lstrip().split("(")[0].upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE")) and any(
            f" {name.upper()}" in f" {head} " for name in CONTENT_TABLES
        ):
            seen.append(statement.split("\n", maxsplit=1)[0])

    return seen


def test_fixture_pages_load_and_bad_ones_are_quarantined(store: Store, fresh_db: FreshDb) -> None:
    records = fixture_records()
    run = store.begin_run("load")
    counts = store.upsert(items(records), run)
    projects = [r for r in records if isinstance(r, ProjectRecord)]
    news = [r for r in records if isinstance(r, NewsRecord)]
    without_key: list[Record] = [
        r for r in projects if r.project_number is None and r.source.url is None
    ]
    without_key += [r for r in news if r.source.url is None]
    assert counts.failed == len(without_key) > 0
    assert counts.new == len(projects) + len(news) - len(without_key)
    assert counts.skipped == len(records) - len(projects) - len(news)
    assert (
        count(fresh_db.engine, t.projects) + count(fresh_db.engine, t.news_articles) == counts.new
    )
    with fresh_db.engine.connect() as conn:
        quarantined = conn.execute(
            sa.select(t.parse_errors.c.source_path, t.parse_errors.c.message)
        )
        messages = dict(quarantined.all())
    assert set(messages) >= {r.source.path for r in without_key}
    assert all("missing key" in messages[str(r.source.path)] for r in without_key)


def test_loading_twice_gives_identical_tables_and_writes_no_content(
    store: Store, fresh_db: FreshDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = fixture_records()
    store.upsert(items(records), store.begin_run("load"))
    before = table_snapshot(fresh_db.engine)
    writes = writes_to_content_tables(store.engine)

    # COPY on PostgreSQL passes no SQLAlchemy event: watch the store's bulk inserts too
    def spy(conn: Any, table: sa.Table, rows: Any) -> None:
        if rows:
            writes.append(f"bulk insert into {table.name}")
        bulk_insert(conn, table, rows)

    monkeypatch.setattr("load.store.upserts.insert_rows", spy)
    counts = store.upsert(items(records), store.begin_run("load"))
    assert writes == []
    assert counts.new == counts.changed == 0
    assert counts.unchanged == len(before["projects"]) + len(before["news_articles"])
    assert table_snapshot(fresh_db.engine) == before
    assert len(before["project_versions"]) == len(before["projects"]) > 20


def test_one_changed_field_appends_one_version_with_old_and_new(
    store: Store, fresh_db: FreshDb
) -> None:
    records = list(fixture_records())
    store.upsert(items(records), store.begin_run("load"))
    versions_before = count(fresh_db.engine, t.project_versions)
    index, target = next(
        (i, r) for i, r in enumerate(records) if isinstance(r, ProjectRecord) and r.title
    )
    assert isinstance(target, ProjectRecord)
    records[index] = dataclasses.replace(target, title=f"{target.title} (ändrad)")
    run = store.begin_run("load")
    counts = store.upsert(items(records), run)
    assert (counts.new, counts.changed) == (0, 1)
    assert count(fresh_db.engine, t.project_versions) == versions_before + 1
    with fresh_db.engine.connect() as conn:
        v = t.project_versions
        latest = conn.execute(sa.select(v).order_by(v.c.id.desc()).limit(1)).mappings().one()
        title = conn.execute(
            sa.select(t.projects.c.title).where(t.projects.c.id == latest["project_id"])
        ).scalar_one()
    assert latest["run_id"] == run
    assert latest["change"] == "changed"
    assert latest["changed"] == {"title": {"old": target.title, "new": f"{target.title} (ändrad)"}}
    assert latest["record"]["title"] == title == f"{target.title} (ändrad)"


def test_children_and_organisations_follow_a_change(store: Store, fresh_db: FreshDb) -> None:
    store.upsert(items([synthetic_project(1)]), store.begin_run("load"))
    changed = synthetic_project(1, municipalities=("Mjölby kommun", "Hela Sverige"), partners=())
    store.upsert(items([changed]), store.begin_run("load"))
    with fresh_db.engine.connect() as conn:
        munis = conn.execute(
            sa.select(
                t.project_municipalities.c.name, t.project_municipalities.c.kommunkod
            ).order_by(t.project_municipalities.c.position)
        ).all()
        orgs = conn.execute(sa.select(t.organisations.c.org_number)).scalars().all()
    assert munis == [("Mjölby kommun", "0586"), ("Hela Sverige", None)]
    assert count(fresh_db.engine, t.project_partners) == 0
    assert orgs == [synthetic_project(1).owner_org_number]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"programme_period": None}, "programme_period", "missing key"),
        ({"project_number": None, "source": Source(path="x.txt")}, "project_number", "missing key"),
        ({"granted_esf_sek": -5}, "granted_esf_sek", "negative amount"),
        ({"end_date": dt.date(2014, 1, 1)}, "end_date", "end date before start date"),
        ({"owner_org_number": "212000-0143"}, "owner_org_number", "bad org number"),
        ({"region": "Atlantis"}, "region", "unknown region"),
    ],
)
def test_violations_are_quarantined_while_the_rest_loads(
    store: Store, fresh_db: FreshDb, changes: dict[str, Any], field: str, message: str
) -> None:
    bad = synthetic_project(2, **changes)
    batch = [synthetic_project(1), bad, synthetic_project(3)]
    counts = store.upsert(items(batch), store.begin_run("load"))
    assert (counts.new, counts.failed) == (2, 1)
    with fresh_db.engine.connect() as conn:
        numbers = conn.execute(sa.select(t.projects.c.project_number)).scalars().all()
        errors = conn.execute(sa.select(t.parse_errors)).mappings().all()
    assert sorted(numbers) == ["2019/00001", "2019/00003"]
    assert [(e["field"], e["source_url"] or e["source_path"]) for e in errors] == [
        (field, bad.source.url or bad.source.path)
    ]
    assert message in errors[0]["message"]


def test_a_row_the_database_refuses_is_quarantined_alone(
    store: Store, fresh_db: FreshDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("load.store.plan.project_violations", lambda *_args: [])  # let it through
    batch = [synthetic_project(1), synthetic_project(2, total_costs_sek=-1), synthetic_project(3)]
    counts = store.upsert(items(batch), store.begin_run("load"))
    assert (counts.new, counts.failed) == (2, 1)
    assert count(fresh_db.engine, t.projects) == 2
    with fresh_db.engine.connect() as conn:
        message = conn.execute(sa.select(t.parse_errors.c.message)).scalar_one()
    assert message.startswith("database refused:")


def test_record_errors_are_quarantined_and_the_record_loads(
    store: Store, fresh_db: FreshDb
) -> None:
    error = FieldError("start_date", "Startdatum", "31 februari", "expected a date")
    counts = store.upsert(items([synthetic_project(1, errors=(error,))]), store.begin_run("load"))
    assert counts.new == 1
    store.upsert(items([synthetic_project(1, errors=(error,))]), store.begin_run("load"))
    with fresh_db.engine.connect() as conn:
        rows = conn.execute(sa.select(t.parse_errors)).mappings().all()
    assert [(r["field"], r["label"], r["value"]) for r in rows] == [
        ("start_date", "Startdatum", "31 februari")
    ]


def test_a_crash_inside_a_batch_leaves_the_database_as_before(
    store: Store, fresh_db: FreshDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert(items([synthetic_project(i) for i in range(5)]), store.begin_run("load"))

    def crash(*_args: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr("load.store.children.write", crash)
    batch = [synthetic_project(0, title="Ny titel")] + [synthetic_project(i) for i in range(5, 9)]
    run = store.begin_run("load")
    before = table_snapshot(fresh_db.engine, exclude=frozenset())
    with pytest.raises(RuntimeError, match="power cut"):
        store.upsert(items(batch), run)
    assert table_snapshot(fresh_db.engine, exclude=frozenset()) == before


def test_removed_pages_are_flagged_not_deleted_and_come_back(
    store: Store, fresh_db: FreshDb
) -> None:
    kept, gone = synthetic_project(1), synthetic_project(2)
    assert gone.source.url
    run = store.begin_run("crawl")
    store.upsert(items([kept, gone]), run)
    assert store.mark_removed([gone.source.url, "https://www.esf.se/never-seen/"], run) == 1
    assert store.mark_removed([gone.source.url], run) == 0
    p = t.projects

    def removed() -> dict[str, bool]:
        with fresh_db.engine.connect() as conn:
            rows = conn.execute(sa.select(p.c.project_number, p.c.removed_at))
            return {number: at is not None for number, at in rows}

    assert removed() == {"2019/00001": False, "2019/00002": True}
    assert store.url_states([gone.source.url])[gone.source.url].removed
    assert store.live_urls() == [kept.source.url]
    store.upsert(items([gone]), store.begin_run("crawl"))  # unchanged, but back
    assert removed() == {"2019/00001": False, "2019/00002": False}
    assert not store.url_states([gone.source.url])[gone.source.url].removed
    store.mark_removed([gone.source.url], run)
    store.touch_seen([gone.source.url], run)  # sitemap lastmod unchanged: seen
    assert removed() == {"2019/00001": False, "2019/00002": False}


def test_a_project_stays_while_another_of_its_urls_is_live(store: Store, fresh_db: FreshDb) -> None:
    record = synthetic_project(1)
    old_url = "https://www.esf.se/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/Projekt-1/"
    run = store.begin_run("crawl")
    store.upsert([LoadItem(record=record), LoadItem(record=record, url=old_url)], run)
    store.mark_removed([old_url], run)
    with fresh_db.engine.connect() as conn:
        assert conn.execute(sa.select(t.projects.c.removed_at)).scalar_one() is None


def test_url_state_keeps_what_conditional_requests_need(store: Store) -> None:
    record = synthetic_project(1)
    url = record.source.url
    assert url
    fetched = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    first = LoadItem(
        record=record,
        fetched_at=fetched,
        http_status=200,
        etag='"abc"',
        last_modified="Wed, 01 Jan 2025 00:00:00 GMT",
        sitemap_lastmod="2025-01-01",
        archive_key="k1",
    )
    store.upsert([first], store.begin_run("crawl"))
    # a later fetch that sent no validators keeps the earlier ones
    store.upsert([LoadItem(record=record, http_status=200)], store.begin_run("crawl"))
    state = store.url_states([url, "https://www.esf.se/unknown/"])
    assert list(state) == [url]
    assert (state[url].etag, state[url].sitemap_lastmod, state[url].archive_key) == (
        '"abc"',
        "2025-01-01",
        "k1",
    )
    assert state[url].kind == "project"
    assert state[url].content_hash is not None


def test_a_batch_of_stored_and_new_urls_keeps_each_ones_state(store: Store) -> None:
    """PostgreSQL copies the url_state rows of URLs not stored yet straight into the table and
    upserts the others: in one batch, a stored URL keeps the validators its new fetch did not
    send, and a new one gets what its fetch sent."""
    old, new = synthetic_project(1), synthetic_project(2)
    assert old.source.url
    assert new.source.url
    store.upsert([LoadItem(record=old, etag='"o"', archive_key="k1")], store.begin_run("crawl"))
    run = store.begin_run("crawl")
    store.upsert(
        [LoadItem(record=old, http_status=200), LoadItem(record=new, etag='"n"', http_status=200)],
        run,
    )
    state = store.url_states([old.source.url, new.source.url])
    assert (state[old.source.url].etag, state[old.source.url].archive_key) == ('"o"', "k1")
    assert (state[new.source.url].etag, state[new.source.url].archive_key) == ('"n"', None)
    assert {s.http_status for s in state.values()} == {200}


def test_timestamps_come_back_aware_in_utc_on_both_backends(store: Store) -> None:
    """A fetch time given in another zone is the same moment when read back, in UTC."""
    record = synthetic_project(1)
    url = record.source.url
    assert url
    fetched = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    store.upsert([LoadItem(record=record, fetched_at=fetched)], store.begin_run("crawl"))
    state = store.url_states([url])[url]
    assert state.last_fetched_at == fetched
    for moment in (state.last_fetched_at, state.last_seen_at):
        assert moment is not None
        assert moment.tzinfo is not None
        assert moment.utcoffset() == dt.timedelta(0)


def test_a_304_stores_the_new_sitemap_lastmod(store: Store) -> None:
    """A page whose sitemap lastmod moved but whose content did not (answered 304) keeps the
    new lastmod, so the next night skips it instead of asking again."""
    record = synthetic_project(1)
    url = record.source.url
    assert url
    other = synthetic_project(2)
    assert other.source.url
    run = store.begin_run("crawl")
    store.upsert(
        [LoadItem(record=record, sitemap_lastmod="2025-01-01"), LoadItem(record=other)], run
    )
    store.touch_seen([url, other.source.url], run, not_modified={url: "2025-02-01"})
    state = store.url_states([url, other.source.url])
    assert state[url].sitemap_lastmod == "2025-02-01"
    assert state[url].last_fetched_at is not None
    assert state[other.source.url].sitemap_lastmod is None


def test_a_redirect_is_recorded_against_its_source_which_then_carries_nothing(
    store: Store, fresh_db: FreshDb
) -> None:
    """An old address that served a project, then redirects to its new one, then serves it
    again: its url_state points at the target while it redirects (no validators, hash or
    project of its own, so it keeps no project alive) and is its own page again after."""
    record = synthetic_project(1)
    new = record.source.url
    assert new
    old = "https://www.esf.se/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/Projekt-1/"
    run = store.begin_run("crawl")
    store.upsert([LoadItem(record=record, http_status=200)], run)
    store.upsert(
        [LoadItem(record=record, url=old, http_status=200, etag='"o"', sitemap_lastmod="L1")], run
    )
    store.mark_removed([old], run)
    fetched = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    redirect = Redirect(url=old, target=new, http_status=301, fetched_at=fetched,
                        sitemap_lastmod=None)  # fmt: skip
    store.record_redirects([redirect, redirect], run)

    state = store.url_states([old])[old]
    assert (state.redirected_to, state.http_status, state.removed) == (new, 301, False)
    assert (state.etag, state.content_hash, state.kind, state.last_fetched_at) == (
        None,
        None,
        None,
        fetched,
    )
    assert state.sitemap_lastmod == "L1"  # none given: the stored one stays, as for a page
    store.mark_removed([new], run)  # the old address no longer carries the project
    with fresh_db.engine.connect() as conn:
        assert conn.execute(sa.select(t.projects.c.removed_at)).scalar_one() is not None

    store.upsert([LoadItem(record=record, url=old, http_status=200)], run)  # it answers itself
    state = store.url_states([old])[old]
    assert (state.redirected_to, state.http_status) == (None, 200)
    with fresh_db.engine.connect() as conn:
        assert conn.execute(sa.select(t.projects.c.removed_at)).scalar_one() is None


def test_news_and_their_project_links(store: Store, fresh_db: FreshDb) -> None:
    news = NewsRecord(
        source=Source(url="https://www.esf.se/nyheter/ett-projekt/"),
        title="Ett projekt",
        published_date=dt.date(2020, 1, 21),
        body="Om 2019/00001 och 2019/00001 igen, och 22-005-S01.",
        mentioned_project_numbers=("2019/00001", "2019/00001", "22-005-S01"),
    )
    store.upsert(items([news]), store.begin_run("crawl"))
    changed = dataclasses.replace(news, mentioned_project_numbers=("2019/00001",))
    store.upsert(items([changed]), store.begin_run("crawl"))
    with fresh_db.engine.connect() as conn:
        links = conn.execute(sa.select(t.news_project_links.c.project_number)).scalars().all()
        article = conn.execute(sa.select(t.news_articles)).mappings().one()
    assert links == ["2019/00001"]
    assert article["article_key"] == "url:/nyheter/ett-projekt/"
    assert article["published_date"] == dt.date(2020, 1, 21)


@pytest.mark.parametrize("order", [(1, 2), (2, 1)])
def test_an_organisation_gets_the_same_name_whatever_the_load_order(
    store: Store, fresh_db: FreshDb, order: tuple[int, int]
) -> None:
    spelling = {1: "alfa kommun", 2: "Beta kommun"}  # code point order: "B" < "a"
    for i in order:
        record = synthetic_project(i, owner=spelling[i], owner_org_number="212000-0142")
        store.upsert(items([record]), store.begin_run("load"))
    with fresh_db.engine.connect() as conn:
        names = conn.execute(sa.select(t.organisations.c.name)).scalars().all()
    assert names == ["Beta kommun"]


@pytest.mark.parametrize("together", [False, True])
def test_a_project_met_under_two_urls_keeps_the_first_in_code_point_order(
    store: Store, fresh_db: FreshDb, together: bool
) -> None:
    record = synthetic_project(1)
    new_url = "https://www.esf.se/resultat/projektbanken/projekt/?dnr=2019/00001"
    old_url = "https://www.esf.se/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/Projekt-1/"
    loads = [LoadItem(record=record, url=old_url), LoadItem(record=record, url=new_url)]
    batches = [loads] if together else [[item] for item in loads]
    for batch in batches:
        store.upsert(batch, store.begin_run("crawl"))
    with fresh_db.engine.connect() as conn:
        assert conn.execute(sa.select(t.projects.c.source_url)).scalar_one() == min(
            old_url, new_url
        )


def test_the_next_batch_is_planned_before_the_batch_commits(
    fresh_db: FreshDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its time is taken in the transaction, after the last statement is sent, and its plan
    made by the planner thread: the database stores that statement and commits meanwhile."""
    events: list[str] = []
    planned_on: list[str] = []

    def clock() -> dt.datetime:
        events.append("plan")
        return dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    def finish(self: store_plan.Planning, now: dt.datetime) -> Any:
        planned_on.append(threading.current_thread().name)
        return plan_finish(self, now)

    plan_finish = store_plan.Planning.finish
    monkeypatch.setattr(store_plan.Planning, "finish", finish)
    opened = open_store(fresh_db.url, clock=clock)
    run = opened.begin_run("load")
    sa.event.listen(opened.engine, "commit", lambda _conn: events.append("commit"))
    events.clear()
    opened.upsert(items(synthetic_project(i) for i in range(3)), run, batch_size=1)
    opened.close()
    assert events == ["plan", "plan", "commit", "plan", "commit", "commit"]
    caller = threading.current_thread().name
    assert [name == caller for name in planned_on] == [True, False, False]
    assert count(fresh_db.engine, t.projects) == 3


def test_a_load_runs_no_python_lock_code_where_ctrl_c_could_land(store: Store) -> None:
    """The planner and tsvector threads were a ThreadPoolExecutor each: every batch, the
    writer ran Semaphore and Condition code (submit, result), where Ctrl-C can leave a lock
    held (a hang) or let go twice (the interrupt masked by a RuntimeError)."""
    run = store.begin_run("load")
    records = [synthetic_project(i) for i in range(5)]

    entered, lock_code = lock_code_run(lambda: store.upsert(items(records), run, batch_size=2))
    assert count(store.engine, t.projects) == 5
    assert "api.py" in entered
    assert lock_code == set()


def test_ctrl_c_while_a_thread_s_outcome_is_awaited_ends_the_load_cleanly(
    fresh_db: FreshDb, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner and tsvector threads end with the load however it ends. Ctrl-C raised where
    the writer first waits on one (on PostgreSQL for the first batch's tsvectors, so that batch
    goes back; on SQLite for the second batch's plan, after the first committed) leaves no
    thread running (a fork may follow) and a store that loads on."""

    def interrupted(_self: Pending[Any]) -> None:
        raise KeyboardInterrupt

    run = store.begin_run("load")
    before = running()  # a test before may have left a server's threads
    with monkeypatch.context() as patch:
        patch.setattr(Pending, "result", interrupted)
        with pytest.raises(KeyboardInterrupt):
            store.upsert(items(synthetic_project(i) for i in range(5)), run, batch_size=2)
    assert running() == before
    assert count(store.engine, t.projects) == (0 if fresh_db.backend == "postgresql" else 2)
    store.upsert(items(synthetic_project(i) for i in range(5)), run, batch_size=2)
    assert count(store.engine, t.projects) == 5


def test_a_postgresql_load_hands_the_gil_over_often_and_sets_it_back_after(
    fresh_db: FreshDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread whose answer came from the server waits for the GIL until the holder lets go:
    during a PostgreSQL load (tsvector and planner threads beside it) every 0.5 ms, not 5."""
    seen: list[float] = []

    def index(conn: Any, kind: str, *args: Any) -> None:
        seen.append(sys.getswitchinterval())
        search_index(conn, kind, *args)

    search_index = search.index
    monkeypatch.setattr(search, "index", index)
    before = sys.getswitchinterval()
    opened = open_store(fresh_db.url)
    opened.upsert(items(synthetic_project(i) for i in range(3)), opened.begin_run("load"))
    opened.close()
    during = POSTGRES_SWITCH_INTERVAL if fresh_db.backend == "postgresql" else before
    assert (set(seen), sys.getswitchinterval()) == ({during}, before)


def test_a_batch_collects_its_young_objects_itself_while_the_database_stores_it(
    fresh_db: FreshDb,
) -> None:
    """The cycle collector's passes over everything the process holds fell between a batch's
    statements, or right after its commit, while PostgreSQL waited: the collector is paused for
    the load's own work, which collects the young generations itself once per batch, after its
    last statement is sent; the caller's code runs with the collector as it was."""
    opened = open_store(fresh_db.url)
    run = opened.begin_run("load")
    records = items(synthetic_project(i) for i in range(5))
    events: list[object] = []

    def collection(phase: str, info: dict[str, int]) -> None:
        if phase == "start":  # (generation, whether the collector was running)
            events.append((info["generation"], gc.isenabled()))

    for name in ("begin", "commit"):
        sa.event.listen(
            opened.engine, name, functools.partial(lambda n, _conn: events.append(n), name)
        )
    threshold = gc.get_threshold()
    gc.set_threshold(1, 1, 1)  # every pass as soon as it is due
    gc.callbacks.append(collection)
    try:
        opened.upsert(records, run, batch_size=2)
    finally:
        gc.callbacks.remove(collection)
        gc.set_threshold(*threshold)
    opened.close()
    transactions: list[list[object]] = []  # the collections inside each transaction
    inside = False
    for event in events:
        if event in ("begin", "commit"):
            inside = event == "begin"
            transactions += [[]] if inside else []
        elif inside:
            transactions[-1].append(event)
    assert transactions == [[(1, False)]] * 3
    assert gc.isenabled()
    assert count(fresh_db.engine, t.projects) == 5


def _writer_lock_free(fresh_db: FreshDb) -> bool:
    """Whether another connection could start writing now (no write transaction is open)."""
    waits = {"timeout": 0} if fresh_db.backend == "sqlite" else {}
    engine = sa.create_engine(fresh_db.url, connect_args=waits, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            if fresh_db.backend == "postgresql":
                try_lock = sa.text("SELECT pg_try_advisory_xact_lock(:key)")
                return bool(conn.execute(try_lock, {"key": WRITER_LOCK_KEY}).scalar_one())
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except sa.exc.OperationalError:
                return False
            conn.exec_driver_sql("ROLLBACK")
            return True
    finally:
        engine.dispose()


def test_a_batchs_items_are_taken_while_no_write_transaction_is_open(
    store: Store, fresh_db: FreshDb
) -> None:
    """A parser or crawler slow to give the next batch does not keep the writers waiting."""
    run = store.begin_run("load")
    free: list[bool] = []

    def given() -> Iterator[LoadItem]:
        for i in range(4):
            free.append(_writer_lock_free(fresh_db))
            yield LoadItem(record=synthetic_project(i))

    store.upsert(given(), run, batch_size=2)
    assert free == [True] * 4
    assert count(fresh_db.engine, t.projects) == 4


def test_items_still_being_parsed_are_written_batch_by_batch_as_they_come(
    store: Store, fresh_db: FreshDb
) -> None:
    """With `expected` (parse workers give the items), a batch is written before the next
    one's items are asked for: taking them first left a whole batch for the writer to write
    alone once the workers were done. The batches shrink towards the end (`tapered`); no
    write transaction is open while the items are taken."""
    run = store.begin_run("reparse")
    stored_before: list[int] = []
    free: list[bool] = []

    def parsed() -> Iterator[LoadItem]:
        for i in range(10):
            stored_before.append(count(fresh_db.engine, t.projects))
            free.append(_writer_lock_free(fresh_db))
            yield LoadItem(record=synthetic_project(i))

    counts = store.upsert(parsed(), run, batch_size=4, expected=10)
    assert stored_before == [0, 0, 0, 0, 4, 4, 4, 4, 8, 8]  # batches of 4, 4 and 2
    assert free == [True] * 10
    assert counts.new == 10
    assert count(fresh_db.engine, t.projects) == 10


@pytest.mark.parametrize(
    ("values", "size", "expected", "sizes"),
    [
        (5000, 1000, 5000, [1000, 1000, 1000, 1000, 500, 250, 125, 62, 32, 31]),
        (10, 4, 10, [4, 3, 1, 1, 1]),
        (3, 1000, 5000, [3]),  # fewer came than expected (pages the parser crashed on)
        (100, 1000, 40, [32, 32, 32, 4]),  # more came than expected: at least `least` each
        (0, 1000, 10, []),
    ],
)
def test_tapered_batches_halve_what_is_left_towards_the_end(
    values: int, size: int, expected: int, sizes: list[int]
) -> None:
    least = 1 if size < 32 else 32
    batches = list(tapered(range(values), size, expected, least))
    assert [len(b) for b in batches] == sizes
    assert [v for b in batches for v in b] == list(range(values))


@pytest.mark.parametrize(
    ("values", "size", "first", "sizes"),
    [(25, 10, 2, [2, 10, 10, 3]), (1, 10, 2, [1]), (5, 10, 0, [1, 4]), (0, 10, 2, [])],
)
def test_started_small_gives_a_first_chunk_of_its_own_size(
    values: int, size: int, first: int, sizes: list[int]
) -> None:
    batches = list(started_small(range(values), size, first))
    assert [len(b) for b in batches] == sizes
    assert [v for b in batches for v in b] == list(range(values))


def test_a_postgresql_load_starts_with_a_small_batch_unless_a_size_is_asked_for(
    fresh_db: FreshDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL idles while the first batch is planned: it is a fifth of the others. The
    batch size a caller asks for is every batch's; SQLite's batches are all alike."""
    monkeypatch.setattr("load.store.api.POSTGRES_UPSERT_BATCH", 10)
    monkeypatch.setattr("load.store.api.UPSERT_BATCH", 10)
    opened = open_store(fresh_db.url)
    written: list[int] = []
    write = opened._write

    def counted(conn: sa.Connection, batch: Any, *args: Any, **kwargs: Any) -> None:
        written.append(len(batch.projects))
        write(conn, batch, *args, **kwargs)

    monkeypatch.setattr(opened, "_write", counted)
    records = [synthetic_project(i) for i in range(25)]
    opened.upsert(items(records), opened.begin_run("load"))
    postgres = fresh_db.engine.dialect.name == "postgresql"
    assert written == ([2, 10, 10, 3] if postgres else [10, 10, 5])
    written.clear()
    opened.upsert(
        items(synthetic_project(i) for i in range(25, 50)), opened.begin_run("load"), batch_size=10
    )
    assert written == [10, 10, 5]
    opened.close()
    assert count(fresh_db.engine, t.projects) == 50


def test_a_record_whose_text_utf8_cannot_hold_is_quarantined_and_the_rest_loads(
    store: Store, fresh_db: FreshDb
) -> None:
    """A lone surrogate (which a JSON source may carry as `\\ud800`) made the load raise
    UnicodeEncodeError while hashing the record, and nothing of the batch was written."""
    run = store.begin_run("load")
    odd = synthetic_project(1, title="Halv surrogat \ud800 här")
    listing = PageRecord(source=Source(url="https://www.esf.se/x/"), kind="listing", title="\udc80")
    counts = store.upsert(
        [LoadItem(record=odd), LoadItem(record=synthetic_project(2)), LoadItem(record=listing)],
        run,
    )
    assert (counts.new, counts.failed) == (1, 2)
    assert count(fresh_db.engine, t.projects) == 1
    with fresh_db.engine.connect() as conn:
        messages = conn.execute(sa.select(t.parse_errors.c.message)).scalars().all()
    assert sorted(messages) == [
        "text that cannot be stored as UTF-8 (surrogates not allowed): '\\ud800'",
        "text that cannot be stored as UTF-8 (surrogates not allowed): '\\udc80'",
    ]
