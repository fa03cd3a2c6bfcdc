"""The views over the other sources: links per project, and where a source and a page disagree.

Plain SQL that reads the same on SQLite and PostgreSQL, with typed columns (so export and the
data dictionary know their types). Migration 0007 holds a frozen copy of this SQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from load.schema import project_links, projects

V_PROJECT_LINKS_SQL = """
SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, pl.matched_on
FROM project_links pl
JOIN projects p ON p.id = pl.project_id
ORDER BY p.project_key, pl.source
"""

# (field, the page's column, the source, its column, an extra condition on the source row)
COMPARED: tuple[tuple[str, str, str, str, str], ...] = (
    ("title", "title", "esf_export", "title", ""),
    ("owner_org_number", "owner_org_number", "esf_export", "owner_org_number", ""),
    ("start_date", "start_date", "esf_export", "start_date", ""),
    ("end_date", "end_date", "esf_export", "end_date", ""),
    ("eu_cofinancing_rate_pct", "eu_cofinancing_rate_pct", "esf_export",
     "eu_cofinancing_rate_pct", ""),
    ("total_budget_sek", "total_budget_sek", "esf_export", "total_budget_sek", ""),
    ("granted_esf_sek", "granted_esf_sek", "esf_export", "eu_contribution_sek", ""),
    ("title", "title", "kohesio", "name", ""),
    ("owner_org_number", "owner_org_number", "kohesio", "beneficiary_org_number", ""),
    ("start_date", "start_date", "kohesio", "start_date", ""),
    ("end_date", "end_date", "kohesio", "end_date", ""),
    ("eu_cofinancing_rate_pct", "eu_cofinancing_rate_pct", "kohesio", "cofinancing_rate_pct", ""),
    ("total_budget_sek", "total_budget_sek", "kohesio", "total_eligible_expenditure",
     " AND s.currency = 'SEK'"),
    ("granted_esf_sek", "granted_esf_sek", "kohesio", "eu_budget", " AND s.currency = 'SEK'"),
)  # fmt: skip
_SOURCE_JOIN = {
    "esf_export": "esf_export_projects s ON s.project_number = pl.external_id",
    "kohesio": "kohesio_operations s ON s.external_id = pl.external_id",
}


def _disagreement(field: str, page: str, source: str, column: str, extra: str) -> str:
    return f"""SELECT pl.project_id, p.project_key, p.programme_period, p.project_number, pl.source,
       pl.external_id, '{field}' AS field,
       CAST(p.{page} AS TEXT) AS page_value,
       CAST(s.{column} AS TEXT) AS source_value
FROM project_links pl JOIN projects p ON p.id = pl.project_id
JOIN {_SOURCE_JOIN[source]}
WHERE pl.source = '{source}'
  AND p.{page} IS NOT NULL AND s.{column} IS NOT NULL
  AND p.{page} <> s.{column}{extra}"""


V_SOURCE_DISAGREEMENTS_SQL = (
    "\nUNION ALL\n".join(_disagreement(*compared) for compared in COMPARED)
    + "\nORDER BY project_key, source, field\n"
)


def _link_columns() -> list[sa.ColumnClause[object]]:
    return [
        sa.column("project_id", sa.Integer),
        sa.column("project_key", projects.c.project_key.type),
        sa.column("programme_period", projects.c.programme_period.type),
        sa.column("project_number", projects.c.project_number.type),
        sa.column("source", project_links.c.source.type),
        sa.column("external_id", project_links.c.external_id.type),
    ]


def v_project_links(dialect: str) -> sa.TextualSelect:
    return sa.text(V_PROJECT_LINKS_SQL).columns(
        *_link_columns(), sa.column("matched_on", project_links.c.matched_on.type)
    )


def v_source_disagreements(dialect: str) -> sa.TextualSelect:
    return sa.text(V_SOURCE_DISAGREEMENTS_SQL).columns(
        *_link_columns(),
        sa.column("field", sa.Text),
        sa.column("page_value", sa.Text),
        sa.column("source_value", sa.Text),
    )


def kohesio_id(project_id: sa.ColumnElement[int]) -> sa.ScalarSelect[str]:
    """The Kohesio operation a project is linked to (v_projects.kohesio_id)."""
    pl = project_links.c
    return (
        sa.select(pl.external_id)
        .where(pl.project_id == project_id, pl.source == "kohesio")
        .scalar_subquery()
    )
