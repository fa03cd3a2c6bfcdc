"""v_projects shows intervention_type, strategic_importance and child_poverty_theme: facts about
the project that were missing from the view by oversight. country and programme_cci stay out on
purpose (parsers/fields.py says why). Written by `alembic revision --autogenerate` from the field
registry; the view's SQL is frozen here, before and after.

Revision ID: 0009
Revises: 0008_search_index
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008_search_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Views as they are at this revision, and as they were before it (load/frozen.py).
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
    projects.contact_email, projects.contact_phone, projects.fund,
    projects.intervention_type, projects.strategic_importance, projects.child_poverty_theme,
    projects.text_truncated, projects.source_url, projects.first_seen_at,
    projects.last_changed_at, projects.removed_at, CASE WHEN (projects.removed_at IS NULL)
    THEN 0 ELSE 1 END AS removed, (SELECT project_links.external_id
    FROM project_links
    WHERE project_links.project_id = projects.id AND project_links.source = 'kohesio') AS
    kohesio_id
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
    projects.contact_email, projects.contact_phone, projects.fund,
    projects.intervention_type, projects.strategic_importance, projects.child_poverty_theme,
    projects.text_truncated, projects.source_url, projects.first_seen_at,
    projects.last_changed_at, projects.removed_at, CASE WHEN (projects.removed_at IS NULL)
    THEN false ELSE true END AS removed, (SELECT project_links.external_id
    FROM project_links
    WHERE project_links.project_id = projects.id AND project_links.source = 'kohesio') AS
    kohesio_id
    FROM projects LEFT OUTER JOIN regions ON regions.name = projects.region ORDER BY
    projects.id""",
    },
}
PREVIOUS_VIEWS: dict[str, dict[str, str]] = {
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
    removed, (SELECT project_links.external_id FROM project_links WHERE
    project_links.project_id = projects.id AND project_links.source = 'kohesio') AS
    kohesio_id FROM projects LEFT OUTER JOIN regions ON regions.name = projects.region ORDER
    BY projects.id""",
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
    removed, (SELECT project_links.external_id FROM project_links WHERE
    project_links.project_id = projects.id AND project_links.source = 'kohesio') AS
    kohesio_id FROM projects LEFT OUTER JOIN regions ON regions.name = projects.region ORDER
    BY projects.id""",
    },
}


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
