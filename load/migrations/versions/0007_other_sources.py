"""Other sources of the same projects: the project bank's CSV export (esf_export_projects),
Kohesio's operations (kohesio_operations), the links between them and the pages' projects
(project_links), the views v_project_links and v_source_disagreements, and v_projects with
kohesio_id.

This revision holds its own DDL and view SQL as they were when it was written: it imports no
schema or view of today's code. v_projects is dropped and re-created (it gains a column), the
downgrade puts back the v_projects of revision 0002.

Revision ID: 0007_sources
Revises: 0006_run_progress
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_sources"
down_revision: str | None = "0006_run_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# v_projects as revision 0002 made it; {false} / {true} are the dialect's booleans.
_V_PROJECTS_COLUMNS = """
SELECT projects.id AS project_id, projects.programme_period, projects.project_number,
projects.title, projects.owner, projects.owner_org_number, projects.owner_postal_code,
projects.owner_city, projects.region, coalesce(projects.nuts2, regions.nuts2) AS nuts2,
projects.programme_area, projects.programme_area_name, projects.specific_objective,
projects.phase, projects.call_number, projects.start_date, projects.end_date,
projects.total_budget_sek, projects.granted_esf_sek, projects.total_costs_sek,
projects.eu_cofinancing_rate_pct, projects.planned_participants, projects.contact_name,
projects.contact_email, projects.contact_phone, projects.fund, projects.text_truncated,
projects.source_url, projects.first_seen_at, projects.last_changed_at, projects.removed_at, CASE
WHEN (projects.removed_at IS NULL) THEN {false} ELSE {true} END AS removed"""
_V_PROJECTS_KOHESIO = """,
(SELECT project_links.external_id FROM project_links WHERE project_links.project_id =
projects.id AND project_links.source = 'kohesio') AS kohesio_id"""
_V_PROJECTS_FROM = """
FROM projects LEFT OUTER JOIN regions ON regions.name = projects.region ORDER BY projects.id"""
_BOOLEANS = {
    "sqlite": {"false": "0", "true": "1"},
    "postgresql": {"false": "false", "true": "true"},
}

_V_PROJECT_LINKS = """
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, pl.matched_on
FROM project_links pl
JOIN projects p ON p.id = pl.project_id
ORDER BY p.project_key, pl.source
"""

_V_SOURCE_DISAGREEMENTS = """
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'title' AS field,
       CAST(p.title AS TEXT) AS page_value,
       CAST(s.title AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN esf_export_projects s ON s.project_number = pl.external_id
WHERE pl.source = 'esf_export'
  AND p.title IS NOT NULL AND s.title IS NOT NULL
  AND p.title <> s.title
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'owner_org_number' AS field,
       CAST(p.owner_org_number AS TEXT) AS page_value,
       CAST(s.owner_org_number AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN esf_export_projects s ON s.project_number = pl.external_id
WHERE pl.source = 'esf_export'
  AND p.owner_org_number IS NOT NULL AND s.owner_org_number IS NOT NULL
  AND p.owner_org_number <> s.owner_org_number
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'start_date' AS field,
       CAST(p.start_date AS TEXT) AS page_value,
       CAST(s.start_date AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN esf_export_projects s ON s.project_number = pl.external_id
WHERE pl.source = 'esf_export'
  AND p.start_date IS NOT NULL AND s.start_date IS NOT NULL
  AND p.start_date <> s.start_date
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'end_date' AS field,
       CAST(p.end_date AS TEXT) AS page_value,
       CAST(s.end_date AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN esf_export_projects s ON s.project_number = pl.external_id
WHERE pl.source = 'esf_export'
  AND p.end_date IS NOT NULL AND s.end_date IS NOT NULL
  AND p.end_date <> s.end_date
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'eu_cofinancing_rate_pct' AS field,
       CAST(p.eu_cofinancing_rate_pct AS TEXT) AS page_value,
       CAST(s.eu_cofinancing_rate_pct AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN esf_export_projects s ON s.project_number = pl.external_id
WHERE pl.source = 'esf_export'
  AND p.eu_cofinancing_rate_pct IS NOT NULL AND s.eu_cofinancing_rate_pct IS NOT NULL
  AND p.eu_cofinancing_rate_pct <> s.eu_cofinancing_rate_pct
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'total_budget_sek' AS field,
       CAST(p.total_budget_sek AS TEXT) AS page_value,
       CAST(s.total_budget_sek AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN esf_export_projects s ON s.project_number = pl.external_id
WHERE pl.source = 'esf_export'
  AND p.total_budget_sek IS NOT NULL AND s.total_budget_sek IS NOT NULL
  AND p.total_budget_sek <> s.total_budget_sek
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'granted_esf_sek' AS field,
       CAST(p.granted_esf_sek AS TEXT) AS page_value,
       CAST(s.eu_contribution_sek AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN esf_export_projects s ON s.project_number = pl.external_id
WHERE pl.source = 'esf_export'
  AND p.granted_esf_sek IS NOT NULL AND s.eu_contribution_sek IS NOT NULL
  AND p.granted_esf_sek <> s.eu_contribution_sek
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'title' AS field,
       CAST(p.title AS TEXT) AS page_value,
       CAST(s.name AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN kohesio_operations s ON s.external_id = pl.external_id
WHERE pl.source = 'kohesio'
  AND p.title IS NOT NULL AND s.name IS NOT NULL
  AND p.title <> s.name
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'owner_org_number' AS field,
       CAST(p.owner_org_number AS TEXT) AS page_value,
       CAST(s.beneficiary_org_number AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN kohesio_operations s ON s.external_id = pl.external_id
WHERE pl.source = 'kohesio'
  AND p.owner_org_number IS NOT NULL AND s.beneficiary_org_number IS NOT NULL
  AND p.owner_org_number <> s.beneficiary_org_number
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'start_date' AS field,
       CAST(p.start_date AS TEXT) AS page_value,
       CAST(s.start_date AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN kohesio_operations s ON s.external_id = pl.external_id
WHERE pl.source = 'kohesio'
  AND p.start_date IS NOT NULL AND s.start_date IS NOT NULL
  AND p.start_date <> s.start_date
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'end_date' AS field,
       CAST(p.end_date AS TEXT) AS page_value,
       CAST(s.end_date AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN kohesio_operations s ON s.external_id = pl.external_id
WHERE pl.source = 'kohesio'
  AND p.end_date IS NOT NULL AND s.end_date IS NOT NULL
  AND p.end_date <> s.end_date
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'eu_cofinancing_rate_pct' AS field,
       CAST(p.eu_cofinancing_rate_pct AS TEXT) AS page_value,
       CAST(s.cofinancing_rate_pct AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN kohesio_operations s ON s.external_id = pl.external_id
WHERE pl.source = 'kohesio'
  AND p.eu_cofinancing_rate_pct IS NOT NULL AND s.cofinancing_rate_pct IS NOT NULL
  AND p.eu_cofinancing_rate_pct <> s.cofinancing_rate_pct
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'total_budget_sek' AS field,
       CAST(p.total_budget_sek AS TEXT) AS page_value,
       CAST(s.total_eligible_expenditure AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN kohesio_operations s ON s.external_id = pl.external_id
WHERE pl.source = 'kohesio'
  AND p.total_budget_sek IS NOT NULL AND s.total_eligible_expenditure IS NOT NULL
  AND p.total_budget_sek <> s.total_eligible_expenditure AND s.currency = 'SEK'
UNION ALL
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, 'granted_esf_sek' AS field,
       CAST(p.granted_esf_sek AS TEXT) AS page_value,
       CAST(s.eu_budget AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN kohesio_operations s ON s.external_id = pl.external_id
WHERE pl.source = 'kohesio'
  AND p.granted_esf_sek IS NOT NULL AND s.eu_budget IS NOT NULL
  AND p.granted_esf_sek <> s.eu_budget AND s.currency = 'SEK'
ORDER BY project_key, source, field
"""


def _v_projects(dialect: str, *, kohesio: bool) -> str:
    columns = _V_PROJECTS_COLUMNS.format(**_BOOLEANS[dialect])
    return columns + (_V_PROJECTS_KOHESIO if kohesio else "") + _V_PROJECTS_FROM


# Views as they are at this revision, and as they were before it (the form load/frozen.py
# reads back from the chain of revisions: view -> backend -> CREATE VIEW).
VIEWS: dict[str, dict[str, str]] = {
    "v_projects": {
        d: f"CREATE VIEW v_projects AS {_v_projects(d, kohesio=True)}" for d in _BOOLEANS
    },
    "v_project_links": dict.fromkeys(
        _BOOLEANS, f"CREATE VIEW v_project_links AS {_V_PROJECT_LINKS}"
    ),
    "v_source_disagreements": dict.fromkeys(
        _BOOLEANS, f"CREATE VIEW v_source_disagreements AS {_V_SOURCE_DISAGREEMENTS}"
    ),
}
PREVIOUS_VIEWS: dict[str, dict[str, str]] = {
    "v_projects": {
        d: f"CREATE VIEW v_projects AS {_v_projects(d, kohesio=False)}" for d in _BOOLEANS
    },
}


def _bookkeeping() -> list[sa.Column[object]]:
    return [
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "dropped_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the newest file of its source and period stopped listing it",
        ),
        sa.Column("dropped_run_id", sa.Integer(), nullable=True),
    ]


def _bookkeeping_keys(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f(f"fk_{table}_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["dropped_run_id"],
            ["crawl_runs.id"],
            name=op.f(f"fk_{table}_dropped_run_id_crawl_runs"),
        ),
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "esf_export_projects",
        sa.Column("project_number", sa.String(length=32), nullable=False),
        sa.Column("programme_period", sa.String(length=9), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("owner_org_number", sa.String(length=11), nullable=True),
        sa.Column("owner_city", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("priority", sa.Text(), nullable=True),
        sa.Column("specific_objective", sa.Text(), nullable=True),
        sa.Column("intervention_field", sa.Text(), nullable=True),
        sa.Column("total_budget_sek", sa.BigInteger(), nullable=True),
        sa.Column("eu_cofinancing_rate_pct", sa.Float(), nullable=True),
        sa.Column("eu_contribution_sek", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("summary_en", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("fund", sa.Text(), nullable=True),
        sa.Column("programme_cci", sa.Text(), nullable=True),
        *_bookkeeping(),
        *_bookkeeping_keys("esf_export_projects"),
        sa.PrimaryKeyConstraint("project_number", name=op.f("pk_esf_export_projects")),
    )
    op.create_index(
        op.f("ix_esf_export_projects_owner_org_number"), "esf_export_projects", ["owner_org_number"]
    )
    op.create_table(
        "kohesio_operations",
        sa.Column(
            "external_id", sa.String(length=32), nullable=False, comment="Q-number: 'Q7361953'"
        ),
        sa.Column("programme_period", sa.String(length=9), nullable=False),
        sa.Column("local_identifier", sa.Text(), nullable=True),
        sa.Column("project_number", sa.String(length=32), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("fund_code", sa.Text(), nullable=True),
        sa.Column("programme_code", sa.Text(), nullable=True),
        sa.Column("programme_name", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("cofinancing_rate_pct", sa.Float(), nullable=True),
        sa.Column("total_eligible_expenditure", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("eu_budget", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("beneficiary_id", sa.Text(), nullable=True),
        sa.Column("beneficiary_name", sa.Text(), nullable=True),
        sa.Column("beneficiary_org_number", sa.String(length=11), nullable=True),
        *_bookkeeping(),
        *_bookkeeping_keys("kohesio_operations"),
        sa.PrimaryKeyConstraint("external_id", name=op.f("pk_kohesio_operations")),
    )
    op.create_index(
        op.f("ix_kohesio_operations_project_number"), "kohesio_operations", ["project_number"]
    )
    op.create_index(
        op.f("ix_kohesio_operations_beneficiary_org_number"),
        "kohesio_operations",
        ["beneficiary_org_number"],
    )
    op.create_table(
        "project_links",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "source", sa.String(length=16), nullable=False, comment="'kohesio' or 'esf_export'"
        ),
        sa.Column("external_id", sa.String(length=32), nullable=False),
        sa.Column("matched_on", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_links_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("project_id", "source", name=op.f("pk_project_links")),
        sa.UniqueConstraint("source", "external_id", name="uq_project_links_source_external_id"),
    )
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
    op.drop_table("project_links")
    op.drop_index(op.f("ix_kohesio_operations_beneficiary_org_number"), "kohesio_operations")
    op.drop_index(op.f("ix_kohesio_operations_project_number"), "kohesio_operations")
    op.drop_table("kohesio_operations")
    op.drop_index(op.f("ix_esf_export_projects_owner_org_number"), "esf_export_projects")
    op.drop_table("esf_export_projects")
