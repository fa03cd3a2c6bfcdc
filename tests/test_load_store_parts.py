"""Each part of load/store, read back by value on SQLite and PostgreSQL: child rows (partners,
co-financiers, municipalities with their kommunkod, at their positions), upserts and versions,
url_state and redirects, removals, runs and quarantine. A part that stops writing a table, or
writes it wrong, fails here (the mutation check of issue 12)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from load import reference
from load import schema as t
from load.store import LoadItem, Redirect, RunCounts, Store, open_store, plan
from load.store.urls import ITEM_COLUMNS, item_rows, url_state_row
from parsers.records import FieldError, NewsRecord, Source
from tests.plugins.db import FreshDb, synthetic_project

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
PAGE = "https://www.esf.se/resultat/projektbanken/projekt/?dnr=2019/{:05d}"
NEWS = "https://www.esf.se/nyheter/2024/en-nyhet/"


class Clock:
    """The store's clock, moved by hand (no sleeps)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(fresh_db: FreshDb, clock: Clock) -> Iterator[Store]:
    opened = open_store(fresh_db.url, upgrade=False, clock=clock)
    yield opened
    opened.close()


def rows(db: FreshDb, table: sa.Table, *columns: str, **where: Any) -> list[tuple[Any, ...]]:
    """The chosen columns of a table's rows (those matching `where`), sorted."""
    query = sa.select(*(table.c[name] for name in columns))
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with db.engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(query))


def project_id(db: FreshDb, number: str) -> int:
    found = rows(db, t.projects, "id", project_number=number)
    assert len(found) == 1, found
    return int(found[0][0])


# -- child tables ---------------------------------------------------------------------------


def test_child_rows_are_written_by_value_with_positions_and_kommunkod(
    store: Store, fresh_db: FreshDb
) -> None:
    record = synthetic_project(
        1,
        municipalities=("Mjölby kommun", "Stockholms stad", "Hela Sverige", "Falun"),
        partners=("Östra Partnern AB", "Arbetsförmedlingen"),
        cofinanciers=("Region Östergötland", "Mjölby kommun"),
    )
    store.upsert([LoadItem(record=record)], store.begin_run("load"))
    pid = project_id(fresh_db, "2019/00001")
    columns = ("project_id", "position", "name")
    assert rows(fresh_db, t.project_municipalities, *columns, "kommunkod") == [
        (pid, 0, "Mjölby kommun", "0586"),
        (pid, 1, "Stockholms stad", "0180"),
        (pid, 2, "Hela Sverige", None),
        (pid, 3, "Falun", "2080"),
    ]
    assert rows(fresh_db, t.project_partners, *columns) == [
        (pid, 0, "Östra Partnern AB"),
        (pid, 1, "Arbetsförmedlingen"),
    ]
    assert rows(fresh_db, t.project_cofinanciers, *columns) == [
        (pid, 0, "Region Östergötland"),
        (pid, 1, "Mjölby kommun"),
    ]


def test_a_changed_project_gets_its_child_rows_afresh_and_others_keep_theirs(
    store: Store, fresh_db: FreshDb
) -> None:
    first = synthetic_project(1, partners=("A", "B"), cofinanciers=("C",), municipalities=())
    other = synthetic_project(2, partners=("X",), cofinanciers=(), municipalities=("Falun",))
    store.upsert([LoadItem(record=first), LoadItem(record=other)], store.begin_run("load"))
    changed = synthetic_project(
        1, partners=("B",), cofinanciers=("D", "C"), municipalities=("Mjölby",)
    )
    store.upsert([LoadItem(record=changed)], store.begin_run("load"))
    one, two = project_id(fresh_db, "2019/00001"), project_id(fresh_db, "2019/00002")
    columns = ("project_id", "position", "name")
    assert rows(fresh_db, t.project_partners, *columns) == [(one, 0, "B"), (two, 0, "X")]
    assert rows(fresh_db, t.project_cofinanciers, *columns) == [(one, 0, "D"), (one, 1, "C")]
    assert rows(fresh_db, t.project_municipalities, *columns, "kommunkod") == [
        (one, 0, "Mjölby", "0586"),
        (two, 0, "Falun", "2080"),
    ]


# -- upserts and versions -------------------------------------------------------------------


def test_projects_organisations_and_versions_by_value(
    store: Store, fresh_db: FreshDb, clock: Clock
) -> None:
    record = synthetic_project(1, title="Första titeln", owner="Organisation B")
    first_run = store.begin_run("load")
    counts = store.upsert([LoadItem(record=record)], first_run)
    assert (counts.new, counts.changed, counts.unchanged) == (1, 0, 0)
    pid = project_id(fresh_db, "2019/00001")
    org_number = record.owner_org_number
    assert rows(fresh_db, t.organisations, "org_number", "name") == [(org_number, "Organisation B")]

    clock.now = later = T0 + dt.timedelta(days=1)
    renamed = synthetic_project(1, title="Andra titeln", owner="Organisation A")
    second_run = store.begin_run("load")
    counts = store.upsert([LoadItem(record=renamed)], second_run)
    assert (counts.new, counts.changed, counts.unchanged) == (0, 1, 0)
    counts = store.upsert([LoadItem(record=renamed)], second_run)
    assert (counts.new, counts.changed, counts.unchanged) == (0, 0, 1)

    assert rows(fresh_db, t.projects, "id", "title", "first_seen_at", "last_changed_at") == [
        (pid, "Andra titeln", T0, later)
    ]
    assert rows(fresh_db, t.organisations, "org_number", "name") == [(org_number, "Organisation A")]
    versions = rows(fresh_db, t.project_versions, "id", "project_id", "run_id", "change", "seen_at")
    assert [v[1:] for v in versions] == [
        (pid, first_run, "new", T0),
        (pid, second_run, "changed", later),
    ]
    ((record_json, changed),) = rows(
        fresh_db, t.project_versions, "record", "changed", change="changed"
    )
    assert _json(record_json)["title"] == "Andra titeln"
    assert _json(changed) == {
        "owner": {"old": "Organisation B", "new": "Organisation A"},
        "title": {"old": "Första titeln", "new": "Andra titeln"},
    }


def test_news_and_their_project_links_by_value(store: Store, fresh_db: FreshDb) -> None:
    news = NewsRecord(
        source=Source(url=NEWS),
        title="En nyhet",
        mentioned_project_numbers=("2019/00002", "2019/00001", "2019/00002"),
    )
    store.upsert([LoadItem(record=news)], store.begin_run("load"))
    ((news_id, title),) = rows(fresh_db, t.news_articles, "id", "title")
    assert title == "En nyhet"
    assert rows(fresh_db, t.news_project_links, "news_id", "project_number") == [
        (news_id, "2019/00001"),
        (news_id, "2019/00002"),
    ]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# -- url_state and redirects ----------------------------------------------------------------


def test_url_state_keeps_what_a_fetch_did_not_send(
    store: Store, fresh_db: FreshDb, clock: Clock
) -> None:
    url = PAGE.format(1)
    item = LoadItem(
        record=synthetic_project(1),
        url=url,
        fetched_at=T0,
        http_status=200,
        etag='"v1"',
        last_modified="Sun, 01 Mar 2026 00:00:00 GMT",
        sitemap_lastmod="2026-02-28",
        archive_key="ab/cdef",
    )
    run = store.begin_run("crawl")
    store.upsert([item], run)
    clock.now = later = T0 + dt.timedelta(hours=1)
    store.upsert([LoadItem(record=synthetic_project(1), url=url, fetched_at=later)], run)
    columns: tuple[str, ...] = (
        "url",
        "kind",
        "http_status",
        "etag",
        "last_modified",
        "sitemap_lastmod",
    )
    columns += ("archive_key", "last_fetched_at", "last_seen_at", "removed", "project_id", "run_id")
    assert rows(fresh_db, t.url_state, *columns) == [
        (url, "project", 200, '"v1"', "Sun, 01 Mar 2026 00:00:00 GMT", "2026-02-28", "ab/cdef",
         later, later, False, project_id(fresh_db, "2019/00001"), run)
    ]  # fmt: skip
    state = store.url_states([url, PAGE.format(9)])
    assert list(state) == [url]
    assert (state[url].etag, state[url].content_hash is not None) == ('"v1"', True)


def test_redirects_point_at_their_target_and_carry_nothing(store: Store, fresh_db: FreshDb) -> None:
    run = store.begin_run("crawl")
    old, new = PAGE.format(1), PAGE.format(2)
    store.upsert([LoadItem(record=synthetic_project(1), url=old, etag='"e"')], run)
    store.record_redirects(
        [
            Redirect(url=old, target=PAGE.format(3), http_status=302, fetched_at=T0,
                     sitemap_lastmod=None),
            Redirect(url=old, target=new, http_status=301, fetched_at=T0, sitemap_lastmod="2026"),
        ],
        run,
    )  # fmt: skip
    columns: tuple[str, ...] = (
        "url",
        "redirected_to",
        "http_status",
        "etag",
        "content_hash",
        "project_id",
    )
    columns += ("sitemap_lastmod", "last_fetched_at", "removed")
    assert rows(fresh_db, t.url_state, *columns) == [
        (old, new, 301, None, None, None, "2026", T0, False)
    ]
    assert store.url_states([old])[old].redirected_to == new


def test_touch_seen_stores_the_lastmod_of_pages_not_modified(
    store: Store, fresh_db: FreshDb, clock: Clock
) -> None:
    run = store.begin_run("crawl")
    a, b = PAGE.format(1), PAGE.format(2)
    store.upsert(
        [LoadItem(record=synthetic_project(i), url=u, sitemap_lastmod="old") for i, u in
         ((1, a), (2, b))],
        run,
    )  # fmt: skip
    clock.now = later = T0 + dt.timedelta(days=1)
    store.touch_seen([a, b], run, not_modified={a: "new"})
    columns = ("url", "sitemap_lastmod", "last_fetched_at", "last_seen_at")
    assert rows(fresh_db, t.url_state, *columns) == [
        (a, "new", later, later),
        (b, "old", None, later),
    ]


# -- removals -------------------------------------------------------------------------------


def test_removal_flags_urls_and_what_they_carry_and_seeing_them_brings_it_back(
    store: Store, fresh_db: FreshDb, clock: Clock
) -> None:
    run = store.begin_run("crawl")
    a, b, archived = PAGE.format(1), PAGE.format(2), PAGE.format(3)
    store.upsert(
        [
            LoadItem(record=synthetic_project(1), url=a),
            LoadItem(record=synthetic_project(2), url=b),
            LoadItem(record=synthetic_project(3), url=archived, capture_url="https://web/3"),
            LoadItem(record=NewsRecord(source=Source(url=NEWS), title="N"), url=NEWS),
        ],
        run,
    )
    assert store.live_urls() == sorted([a, b, NEWS]) or set(store.live_urls()) == {a, b, NEWS}
    assert set(store.live_urls(containing="?DNR=")) == {a, b}
    assert store.live_families() == {"2014-2020": 2, "news": 1}
    assert store.removal_families([a, archived, NEWS, "https://x/"]) == {
        a: "2014-2020",
        NEWS: "news",
    }

    clock.now = later = T0 + dt.timedelta(days=1)
    assert store.mark_removed([a, archived, NEWS], run) == 2
    assert store.mark_removed([a], run) == 0
    assert rows(fresh_db, t.url_state, "url", "removed", "removed_at") == [
        (NEWS, True, later),
        (a, True, later),
        (b, False, None),
        (archived, False, None),
    ]
    assert rows(fresh_db, t.projects, "project_number", "removed_at") == [
        ("2019/00001", later),
        ("2019/00002", None),
        ("2019/00003", None),
    ]
    assert rows(fresh_db, t.news_articles, "removed_at") == [(later,)]

    store.touch_seen([a], run)
    assert rows(fresh_db, t.url_state, "url", "removed", removed=True) == [(NEWS, True)]
    assert rows(fresh_db, t.projects, "project_number", "removed_at", project_number="2019/00001")[
        0
    ] == ("2019/00001", None)


# -- runs -----------------------------------------------------------------------------------


def test_runs_open_close_and_silent_ones_are_interrupted(fresh_db: FreshDb, clock: Clock) -> None:
    store = open_store(fresh_db.url, upgrade=False, clock=clock, stale_after=dt.timedelta(hours=1))
    silent = store.begin_run("crawl")
    clock.now = later = T0 + dt.timedelta(hours=2)
    run = store.begin_run("load")
    counts = RunCounts(fetched=9, new=1, changed=2, unchanged=3, removed=4, failed=5,
                       removals_withheld=6, removal_refusal="too many")  # fmt: skip
    clock.now = end = later + dt.timedelta(minutes=5)
    store.finish_run(run, "ok", counts)
    stopped = store.begin_run("backfill")
    store.abandon_run(stopped, KeyboardInterrupt())
    store.close()
    columns: tuple[str, ...] = (
        "id",
        "kind",
        "status",
        "started_at",
        "finished_at",
        "last_progress_at",
        "fetched",
    )
    columns += ("new", "changed", "unchanged", "removed", "failed", "removals_withheld")
    assert rows(fresh_db, t.crawl_runs, *columns, "removal_refusal") == [
        (silent, "crawl", "interrupted", T0, T0, T0, 0, 0, 0, 0, 0, 0, 0, None),
        (run, "load", "ok", later, end, end, 9, 1, 2, 3, 4, 5, 6, "too many"),
        (stopped, "backfill", "interrupted", end, end, end, 0, 0, 0, 0, 0, 0, 0, None),
    ]  # fmt: skip


# -- quarantine -----------------------------------------------------------------------------


def test_quarantine_rows_by_value_and_resolved_once_fixed(
    store: Store, fresh_db: FreshDb, clock: Clock
) -> None:
    run = store.begin_run("crawl")
    store.quarantine(run, message="HTTP 500", url=PAGE.format(7), archive_key="k/1")
    bad = synthetic_project(
        1,
        errors=(FieldError(field="start_date", value="igår", message="not a date", label="Start"),),
    )
    counts = store.upsert([LoadItem(record=bad, url=PAGE.format(1))], run)
    assert counts.new == 1
    columns: tuple[str, ...] = (
        "source_url",
        "archive_key",
        "field",
        "label",
        "value",
        "message",
        "created_at",
    )
    columns += ("resolved_at",)
    assert rows(fresh_db, t.parse_errors, *columns) == [
        (PAGE.format(1), None, "start_date", "Start", "igår", "not a date", T0, None),
        (PAGE.format(7), "k/1", None, None, None, "HTTP 500", T0, None),
    ]
    clock.now = later = T0 + dt.timedelta(days=1)
    fixed = store.begin_run("crawl")
    store.upsert([LoadItem(record=synthetic_project(1), url=PAGE.format(1))], fixed)
    assert rows(fresh_db, t.parse_errors, "source_url", "resolved_at", "resolved_run_id") == [
        (PAGE.format(1), later, fixed),
        (PAGE.format(7), None, None),
    ]


def test_a_loaded_pages_url_state_tuple_is_url_state_row_with_what_the_fetch_knew() -> None:
    # item_rows builds its tuples by position for speed; they must stay url_state_row's row.
    item = LoadItem(
        record=synthetic_project(1), url=PAGE.format(1), fetched_at=T0, archive_key="k",
        http_status=200, etag='"e"', last_modified="Mon", sitemap_lastmod="2026-01-01",
        capture_url="https://web.archive.org/web/2019/x", captured_at=T0,
    )  # fmt: skip
    (row,) = item_rows([(PAGE.format(1), item, "hash", 7, None)], run_id=3, now=T0)
    assert dict(zip(ITEM_COLUMNS, row, strict=True)) == url_state_row(
        PAGE.format(1), 3, T0, kind="project", last_fetched_at=T0, http_status=200,
        etag='"e"', last_modified="Mon", sitemap_lastmod="2026-01-01", content_hash="hash",
        archive_key="k", capture_url="https://web.archive.org/web/2019/x", captured_at=T0,
        project_id=7,
    )  # fmt: skip


_T0 = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
_REGIONS: dict[str, str | None] = {str(row["name"]): row["nuts2"] for row in reference.regions()}


def _planning_items() -> list[LoadItem]:
    """Projects, one twice under two URLs, one breaking a rule, one with a field error."""
    url = "https://www.esf.se/projekt/{}/".format
    return [
        *(LoadItem(record=synthetic_project(i), url=url(i)) for i in range(120)),
        LoadItem(record=synthetic_project(3, title="Andra gången"), url=url("3b")),
        LoadItem(record=synthetic_project(200, total_costs_sek=-1), url=url(200)),
        LoadItem(
            record=synthetic_project(
                201, errors=(FieldError("start_date", "Projektstart", "x", "bad date"),)
            ),
            url=url(201),
        ),
    ]


def test_a_plan_made_step_by_step_is_the_plan_made_at_once() -> None:
    at_once = plan.Planning(_planning_items(), 7, _REGIONS).finish(_T0)
    stepped = plan.Planning(_planning_items(), 7, _REGIONS)
    steps = 1
    while stepped.step():
        steps += 1
    assert steps == -(-len(_planning_items()) // plan.PLANNING_STEP)
    assert not stepped.step()
    made = stepped.finish(_T0)
    assert made == at_once
    assert made.counts.failed == 1  # the negative cost; a field error does not fail a record
    assert len(made.error_rows) == 2
    assert {row["created_at"] for row in made.error_rows.values()} == {_T0}


def test_an_error_met_by_a_step_is_raised_when_the_plan_is_finished(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As a plan made at once raises it, where its batch is next written: not in the middle
    of writing the batch before, whose waits make the steps."""

    def validate(*_args: Any) -> Any:
        raise RuntimeError("a bug in validation")

    monkeypatch.setattr(plan, "_validate", validate)
    planning = plan.Planning(_planning_items(), 7, {})
    assert planning.step() is False
    with pytest.raises(RuntimeError, match="a bug in validation"):
        planning.finish(_T0)
