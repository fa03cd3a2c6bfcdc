"""Views for researchers: v_projects, v_project_history, v_news and the summaries.

Frozen: the SQL below is the views as they were at this revision, per backend, written once from
load/views.py by `python -m load.frozen` (see load/frozen.py); this file never imports today's
code, so a later change to a view cannot break a fresh upgrade. A later revision that changes a
view holds its new SQL (VIEWS) and this one (PREVIOUS_VIEWS) the same way, and
`alembic revision --autogenerate` writes them (CONTRIBUTING.md). One that only alters a table
a view reads needs nothing more: SQLite's batch-mode rebuild runs inside
load.engine.schema_change, which keeps views.

Revision ID: 0002_views
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002_views"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Views as they are at this revision, and as they were before it (none).
VIEWS: dict[str, dict[str, str]] = {
    "v_projects": {
        "sqlite": """CREATE VIEW v_projects AS SELECT projects.id AS project_id,
    projects.programme_period, projects.project_number, projects.title, projects.owner,
    projects.owner_org_number, projects.owner_postal_code, projects.owner_city,
    projects.region, coalesce(projects.nuts2, regions.nuts2) AS nuts2,
    projects.programme_area, projects.programme_area_name, projects.specific_objective,
    projects.phase, projects.call_number, projects.start_date, projects.end_date,
    projects.total_budget_sek, projects.granted_esf_sek, projects.total_costs_sek,
    projects.eu_cofinancing_rate_pct, projects.planned_participants, projects.contact_name,
    projects.contact_email, projects.contact_phone, projects.fund, projects.text_truncated,
    projects.source_url, projects.first_seen_at, projects.last_changed_at,
    projects.removed_at, CASE WHEN (projects.removed_at IS NULL) THEN 0 ELSE 1 END AS
    removed
    FROM projects LEFT OUTER JOIN regions ON regions.name = projects.region ORDER BY
    projects.id""",
        "postgresql": """CREATE VIEW v_projects AS SELECT projects.id AS project_id,
    projects.programme_period, projects.project_number, projects.title, projects.owner,
    projects.owner_org_number, projects.owner_postal_code, projects.owner_city,
    projects.region, coalesce(projects.nuts2, regions.nuts2) AS nuts2,
    projects.programme_area, projects.programme_area_name, projects.specific_objective,
    projects.phase, projects.call_number, projects.start_date, projects.end_date,
    projects.total_budget_sek, projects.granted_esf_sek, projects.total_costs_sek,
    projects.eu_cofinancing_rate_pct, projects.planned_participants, projects.contact_name,
    projects.contact_email, projects.contact_phone, projects.fund, projects.text_truncated,
    projects.source_url, projects.first_seen_at, projects.last_changed_at,
    projects.removed_at, CASE WHEN (projects.removed_at IS NULL) THEN false ELSE true END AS
    removed
    FROM projects LEFT OUTER JOIN regions ON regions.name = projects.region ORDER BY
    projects.id""",
    },
    "v_project_history": {
        "sqlite": """CREATE VIEW v_project_history AS
    SELECT pv.id AS version_id, p.id AS project_id, p.programme_period, p.project_number,
    p.title,
    c.key AS field, CASE json_type(c.value, '$.old') WHEN 'true' THEN 'true' WHEN 'false'
    THEN 'false' ELSE CAST(c.value ->> 'old' AS TEXT) END AS old_value, CASE
    json_type(c.value, '$.new') WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE
    CAST(c.value ->> 'new' AS TEXT) END AS new_value,
    pv.run_id, r.kind AS run_kind, pv.seen_at AS changed_at
    FROM project_versions pv
    JOIN projects p ON p.id = pv.project_id
    JOIN crawl_runs r ON r.id = pv.run_id
    JOIN json_each(pv.changed) AS c ON 1 = 1
    WHERE pv.changed IS NOT NULL
    ORDER BY pv.id, c.key""",
        "postgresql": """CREATE VIEW v_project_history AS
    SELECT pv.id AS version_id, p.id AS project_id, p.programme_period, p.project_number,
    p.title,
    c.key AS field, c.value ->> 'old' AS old_value, c.value ->> 'new' AS new_value,
    pv.run_id, r.kind AS run_kind, pv.seen_at AS changed_at
    FROM project_versions pv
    JOIN projects p ON p.id = pv.project_id
    JOIN crawl_runs r ON r.id = pv.run_id
    JOIN jsonb_each(pv.changed) AS c ON 1 = 1
    WHERE pv.changed IS NOT NULL
    ORDER BY pv.id, c.key""",
    },
    "v_news": {
        "sqlite": """CREATE VIEW v_news AS SELECT news_articles.id AS news_id,
    news_articles.title, news_articles.published_date, news_articles.source_url,
    news_articles.body, news_project_links.project_number, projects.id AS project_id,
    projects.programme_period, projects.title AS project_title,
    news_articles.last_changed_at, news_articles.removed_at
    FROM news_articles LEFT OUTER JOIN news_project_links ON news_project_links.news_id =
    news_articles.id LEFT OUTER JOIN projects ON projects.project_number =
    news_project_links.project_number ORDER BY news_articles.id,
    news_project_links.project_number, projects.id""",
        "postgresql": """CREATE VIEW v_news AS SELECT news_articles.id AS news_id,
    news_articles.title, news_articles.published_date, news_articles.source_url,
    news_articles.body, news_project_links.project_number, projects.id AS project_id,
    projects.programme_period, projects.title AS project_title,
    news_articles.last_changed_at, news_articles.removed_at
    FROM news_articles LEFT OUTER JOIN news_project_links ON news_project_links.news_id =
    news_articles.id LEFT OUTER JOIN projects ON projects.project_number =
    news_project_links.project_number ORDER BY news_articles.id,
    news_project_links.project_number, projects.id""",
    },
    "v_summary_period": {
        "sqlite": """CREATE VIEW v_summary_period AS SELECT
    projects.programme_period, count(*) AS projects, CAST(sum(projects.granted_esf_sek) AS
    BIGINT) AS granted_esf_sek, CAST(sum(projects.total_budget_sek) AS BIGINT) AS
    total_budget_sek, min(projects.start_date) AS first_start_date, max(projects.end_date)
    AS last_end_date
    FROM projects
    WHERE projects.removed_at IS NULL GROUP BY projects.programme_period ORDER BY
    projects.programme_period""",
        "postgresql": """CREATE VIEW v_summary_period AS SELECT
    projects.programme_period, count(*) AS projects, CAST(sum(projects.granted_esf_sek) AS
    BIGINT) AS granted_esf_sek, CAST(sum(projects.total_budget_sek) AS BIGINT) AS
    total_budget_sek, min(projects.start_date) AS first_start_date, max(projects.end_date)
    AS last_end_date
    FROM projects
    WHERE projects.removed_at IS NULL GROUP BY projects.programme_period ORDER BY
    projects.programme_period""",
    },
    "v_summary_period_region": {
        "sqlite": """CREATE VIEW v_summary_period_region AS SELECT
    projects.programme_period, projects.region, projects.nuts2, count(*) AS projects,
    CAST(sum(projects.granted_esf_sek) AS BIGINT) AS granted_esf_sek,
    CAST(sum(projects.total_budget_sek) AS BIGINT) AS total_budget_sek,
    min(projects.start_date) AS first_start_date, max(projects.end_date) AS last_end_date
    FROM projects
    WHERE projects.removed_at IS NULL GROUP BY projects.programme_period, projects.region,
    projects.nuts2 ORDER BY projects.programme_period, projects.region, projects.nuts2""",
        "postgresql": """CREATE VIEW v_summary_period_region AS SELECT
    projects.programme_period, projects.region, projects.nuts2, count(*) AS projects,
    CAST(sum(projects.granted_esf_sek) AS BIGINT) AS granted_esf_sek,
    CAST(sum(projects.total_budget_sek) AS BIGINT) AS total_budget_sek,
    min(projects.start_date) AS first_start_date, max(projects.end_date) AS last_end_date
    FROM projects
    WHERE projects.removed_at IS NULL GROUP BY projects.programme_period, projects.region,
    projects.nuts2 ORDER BY projects.programme_period, projects.region, projects.nuts2""",
    },
}
PREVIOUS_VIEWS: dict[str, dict[str, str]] = {}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in {**PREVIOUS_VIEWS, **VIEWS}:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for sql in VIEWS.values():
        op.execute(sql[dialect])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in {**VIEWS, **PREVIOUS_VIEWS}:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for sql in PREVIOUS_VIEWS.values():
        op.execute(sql[dialect])
