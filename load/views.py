"""Views for researchers: flat, typed answers to common questions, on SQLite and PostgreSQL alike.

Each view is a SQLAlchemy select over the schema's tables, compiled per backend into
`CREATE VIEW` by the migration that creates the views, so one definition serves both
databases. The one place the backends differ (expanding the JSON of field changes) is a text
select per dialect with typed columns. Because the selects are typed, `VIEWS[name].table()`
gives export and the data dictionary the proper column types of every view, with no database
at hand.

v_projects shows the registry's fields marked `in_view` (parsers/fields.py says which are left
out, and why). Changing a view means a new migration that drops and re-creates it, with the
view's SQL frozen in it: `alembic revision --autogenerate` writes it (load/frozen.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.ddl import CreateView, DropView

from load.schema import Timestamp, crawl_runs, news_articles, news_project_links, projects, regions
from load.sources import views as sources
from parsers.fields import FIELDS

SelectBuilder = Callable[[str], sa.SelectBase]


@dataclass(frozen=True, slots=True)
class View:
    name: str
    description: str
    build: SelectBuilder  # dialect name → SELECT

    def create(self, dialect: str) -> CreateView:
        return CreateView(self.build(dialect), self.name)

    def drop(self) -> DropView:
        return DropView(self.table(), if_exists=True)

    def table(self) -> sa.Table:
        """The view as a typed Table, to select from (its types are the select's, any backend)."""
        return CreateView(self.build("sqlite"), self.name).table


def _v_projects_field(name: str) -> sa.ColumnElement[Any]:
    """A registry field as v_projects shows it: as stored, but NUTS-2 falls back on the region's."""
    if name == "nuts2":
        return sa.func.coalesce(projects.c.nuts2, regions.c.nuts2).label("nuts2")
    return projects.c[name]


def _v_projects(dialect: str) -> sa.SelectBase:
    p = projects.c
    return (
        sa.select(
            p.id.label("project_id"),
            *(_v_projects_field(f.name) for f in FIELDS if f.in_view),
            p.text_truncated,
            p.source_url,
            p.first_seen_at,
            p.last_changed_at,
            p.removed_at,
            sa.case((p.removed_at.is_(None), sa.false()), else_=sa.true()).label("removed"),
            sources.kohesio_id(p.id).label("kohesio_id"),
        )
        .select_from(projects.outerjoin(regions, regions.c.name == p.region))
        .order_by(p.id)
    )


# Field-level changes: project_versions.changed is {field: {"old": ..., "new": ...}}.
_HISTORY_SQL = """
SELECT pv.id AS version_id, p.id AS project_id, p.programme_period, p.project_number, p.title,
       c.key AS field, {old} AS old_value, {new} AS new_value,
       pv.run_id, r.kind AS run_kind, pv.seen_at AS changed_at
FROM project_versions pv
JOIN projects p ON p.id = pv.project_id
JOIN crawl_runs r ON r.id = pv.run_id
JOIN {each}(pv.changed) AS c ON 1 = 1
WHERE pv.changed IS NOT NULL
ORDER BY pv.id, c.key
"""


def _sqlite_json_text(side: str) -> str:
    """A JSON value as text, with true/false spelt as PostgreSQL's `->>` spells them."""
    return (
        f"CASE json_type(c.value, '$.{side}') WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
        f" ELSE CAST(c.value ->> '{side}' AS TEXT) END"
    )


def _v_project_history(dialect: str) -> sa.TextualSelect:
    if dialect == "postgresql":
        parts = {"each": "jsonb_each", "old": "c.value ->> 'old'", "new": "c.value ->> 'new'"}
    else:
        parts = {
            "each": "json_each",
            "old": _sqlite_json_text("old"),
            "new": _sqlite_json_text("new"),
        }
    return sa.text(_HISTORY_SQL.format(**parts)).columns(
        sa.column("version_id", sa.Integer),
        sa.column("project_id", sa.Integer),
        projects.c.programme_period,
        projects.c.project_number,
        projects.c.title,
        sa.column("field", sa.Text),
        sa.column("old_value", sa.Text),
        sa.column("new_value", sa.Text),
        sa.column("run_id", sa.Integer),
        sa.column("run_kind", crawl_runs.c.kind.type),
        sa.column("changed_at", Timestamp),
    )


def _v_news(dialect: str) -> sa.SelectBase:
    n, link, p = news_articles.c, news_project_links.c, projects.c
    return (
        sa.select(
            n.id.label("news_id"),
            n.title,
            n.published_date,
            n.source_url,
            n.body,
            link.project_number,
            p.id.label("project_id"),
            p.programme_period,
            p.title.label("project_title"),
            n.last_changed_at,
            n.removed_at,
        )
        .select_from(
            news_articles.outerjoin(news_project_links, link.news_id == n.id).outerjoin(
                projects, p.project_number == link.project_number
            )
        )
        .order_by(n.id, link.project_number, p.id)
    )


def _summary(*keys: sa.ColumnElement[object]) -> sa.SelectBase:
    """Current (not removed) projects counted and summed per `keys`."""
    p = projects.c
    return (
        sa.select(
            *keys,
            sa.func.count().label("projects"),
            # PostgreSQL sums BIGINT as NUMERIC: cast back so amounts stay integers.
            sa.cast(sa.func.sum(p.granted_esf_sek), sa.BigInteger).label("granted_esf_sek"),
            sa.cast(sa.func.sum(p.total_budget_sek), sa.BigInteger).label("total_budget_sek"),
            sa.func.min(p.start_date).label("first_start_date"),
            sa.func.max(p.end_date).label("last_end_date"),
        )
        .where(p.removed_at.is_(None))
        .group_by(*keys)
        .order_by(*keys)
    )


def _v_summary_period(dialect: str) -> sa.SelectBase:
    return _summary(projects.c.programme_period)


def _v_summary_period_region(dialect: str) -> sa.SelectBase:
    return _summary(projects.c.programme_period, projects.c.region, projects.c.nuts2)


VIEWS: Mapping[str, View] = {
    v.name: v
    for v in (
        View(
            "v_projects",
            "One flat row per project: owner, region, NUTS-2, amounts, dates; removed ones flagged",
            _v_projects,
        ),
        View(
            "v_project_history",
            "One row per field that changed between two versions of a project",
            _v_project_history,
        ),
        View(
            "v_news",
            "One row per news article and project it mentions (one row if it mentions none)",
            _v_news,
        ),
        View(
            "v_summary_period",
            "Current (not removed) projects per programme period: count, sums of grant and budget",
            _v_summary_period,
        ),
        View(
            "v_summary_period_region",
            "Current (not removed) projects per period and region: count, sums of grant and budget",
            _v_summary_period_region,
        ),
        View(
            "v_project_links",
            "One row per project and other source it is linked to (Kohesio, the bank's export),"
            " and what the link was made on",
            sources.v_project_links,
        ),
        View(
            "v_source_disagreements",
            "One row per linked project, source and field where the page and the source"
            " disagree (amounts only where both are in SEK)",
            sources.v_source_disagreements,
        ),
    )
}
