"""The research views on both backends, over a database loaded through the real store."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from load.migrate import alembic_config, upgrade
from load.schema import news_articles, news_project_links, projects
from load.views import VIEWS
from tests.research_db import UNKNOWN_PROJECT_NUMBER, FixtureDb, load_fixture_db


@pytest.fixture
def loaded(fresh_db) -> FixtureDb:
    return load_fixture_db(fresh_db.url)


def _rows(engine: sa.Engine, name: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(VIEWS[name].table())).mappings()]


def test_every_view_exists_after_migrating(fresh_db):
    assert set(VIEWS) <= set(sa.inspect(fresh_db.engine).get_view_names())


def test_v_projects_has_one_flat_row_per_project(fresh_db, loaded):
    rows = _rows(fresh_db.engine, "v_projects")
    with fresh_db.engine.connect() as conn:
        stored = conn.execute(sa.select(projects.c.id, projects.c.removed_at)).all()
    assert sorted(r["project_id"] for r in rows) == sorted(i for i, _ in stored)
    removed = [r for r in rows if r["removed"]]
    assert [r["source_url"] for r in removed] == [loaded.removed_url]
    assert all(r["removed_at"] is not None for r in removed)
    assert all(r["removed"] is False for r in rows if r["removed_at"] is None)


def test_v_projects_nuts2_comes_from_the_region(fresh_db, loaded):
    rows = _rows(fresh_db.engine, "v_projects")
    by_region = {(r["region"], r["nuts2"]) for r in rows if r["region"]}
    assert ("Sydsverige", "SE22") in by_region
    assert all(nuts2 is None for region, nuts2 in by_region if region == "Nationellt")
    assert all(nuts2 for region, nuts2 in by_region if region != "Nationellt")


def test_v_project_history_shows_the_changed_field(fresh_db, loaded):
    rows = _rows(fresh_db.engine, "v_project_history")
    assert [
        (r["project_number"], r["field"], r["old_value"], r["new_value"], r["run_kind"])
        for r in rows
    ] == [
        (
            loaded.changed_project_number,
            "end_date",
            None if loaded.old_end_date is None else loaded.old_end_date.isoformat(),
            loaded.new_end_date.isoformat(),
            "crawl",
        )
    ]
    assert rows[0]["changed_at"] is not None


def test_v_news_lists_each_article_with_the_projects_it_mentions(fresh_db, loaded):
    rows = _rows(fresh_db.engine, "v_news")
    with fresh_db.engine.connect() as conn:
        articles = conn.execute(sa.select(sa.func.count()).select_from(news_articles)).scalar()
        links = conn.execute(sa.select(news_project_links)).all()
        numbered = sa.select(projects.c.project_number, projects.c.id).where(
            projects.c.project_number.is_not(None)
        )
        numbers = dict(conn.execute(numbered).all())
    assert len({r["news_id"] for r in rows}) == articles
    assert sum(1 for r in rows if r["project_number"] is not None) == len(links) == 2
    for r in rows:
        assert r["project_id"] == numbers.get(r["project_number"])
    linked = {r["project_number"]: r for r in rows if r["project_number"]}
    known = linked[loaded.changed_project_number]
    assert known["project_id"] is not None
    assert known["project_title"]
    assert known["programme_period"] == "2014-2020"
    assert linked[UNKNOWN_PROJECT_NUMBER]["project_id"] is None


def test_summaries_add_up_to_the_current_projects(fresh_db, loaded):
    current = [r for r in _rows(fresh_db.engine, "v_projects") if not r["removed"]]
    by_period = {r["programme_period"]: r for r in _rows(fresh_db.engine, "v_summary_period")}
    assert sum(r["projects"] for r in by_period.values()) == len(current)
    for period, summary in by_period.items():
        mine = [r for r in current if r["programme_period"] == period]
        granted = [r["granted_esf_sek"] for r in mine if r["granted_esf_sek"] is not None]
        assert summary["granted_esf_sek"] == (sum(granted) if granted else None)
        assert type(summary["granted_esf_sek"]) in (int, type(None))  # not NUMERIC/Decimal
        assert summary["first_start_date"] == min(
            (r["start_date"] for r in mine if r["start_date"]), default=None
        )
    regions = _rows(fresh_db.engine, "v_summary_period_region")
    assert sum(r["projects"] for r in regions) == len(current)
    assert {r["programme_period"] for r in regions} == set(by_period)


def test_the_views_migration_goes_down_and_up_again(fresh_db):
    with fresh_db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    assert not set(VIEWS) & set(sa.inspect(fresh_db.engine).get_view_names())
    upgrade(fresh_db.engine)
    assert set(VIEWS) <= set(sa.inspect(fresh_db.engine).get_view_names())
