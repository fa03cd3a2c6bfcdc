"""Initial schema, and the reference data: regions with NUTS-2, the 290 municipalities.

The reference rows are this revision's own copies of data/regions.csv and data/kommuner.csv
(0001_regions.csv, 0001_kommuner.csv beside this file, shipped in the package): a later change
to data/ is a new migration, and an installed esfbank needs no checkout to build its database.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _reference_rows(name: str) -> list[dict[str, str | None]]:
    """Rows of this revision's reference CSV beside this file (empty cells are NULL)."""
    path = Path(__file__).with_name(f"0001_{name}.csv")
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(f)]


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched", sa.Integer(), server_default="0", nullable=False),
        sa.Column("new", sa.Integer(), server_default="0", nullable=False),
        sa.Column("changed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("removed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "municipalities",
        sa.Column("kommunkod", sa.String(length=4), nullable=False, comment="SCB kommunkod"),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("lan_code", sa.String(length=2), nullable=False),
        sa.Column("lan_name", sa.String(length=64), nullable=False),
        sa.Column("nuts2", sa.String(length=4), nullable=False),
        sa.PrimaryKeyConstraint("kommunkod", name=op.f("pk_municipalities")),
        sa.UniqueConstraint("name", name=op.f("uq_municipalities_name")),
    )
    op.create_table(
        "news_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_key", sa.Text(), nullable=False, comment="normalised URL"),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "unknown_labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_articles")),
        sa.UniqueConstraint("article_key", name=op.f("uq_news_articles_article_key")),
    )
    op.create_table(
        "organisations",
        sa.Column("org_number", sa.String(length=11), nullable=False, comment="NNNNNN-NNNN"),
        sa.Column(
            "name",
            sa.Text(),
            nullable=True,
            comment="of the owner names its pages give, the alphabetically first",
        ),
        sa.PrimaryKeyConstraint("org_number", name=op.f("pk_organisations")),
    )
    op.create_table(
        "regions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("nuts2", sa.String(length=4), nullable=True, comment="NULL for Nationellt"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_regions")),
        sa.UniqueConstraint("nuts2", name=op.f("uq_regions_nuts2")),
    )
    op.create_table(
        "news_project_links",
        sa.Column("news_id", sa.Integer(), nullable=False),
        sa.Column(
            "project_number",
            sa.String(length=32),
            nullable=False,
            comment="as mentioned; join projects.project_number",
        ),
        sa.ForeignKeyConstraint(
            ["news_id"],
            ["news_articles.id"],
            name=op.f("fk_news_project_links_news_id_news_articles"),
        ),
        sa.PrimaryKeyConstraint("news_id", "project_number", name=op.f("pk_news_project_links")),
    )
    op.create_table(
        "parse_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="hash of source, field, value and message: a problem is kept once",
        ),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("archive_key", sa.Text(), nullable=True),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_parse_errors_run_id_crawl_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parse_errors")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_parse_errors_fingerprint")),
    )
    with op.batch_alter_table("parse_errors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parse_errors_run_id"), ["run_id"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "project_key",
            sa.Text(),
            nullable=False,
            comment="'<period> <number>', or 'url:<normalised URL>' when there is no number",
        ),
        sa.Column("programme_period", sa.String(length=9), nullable=False),
        sa.Column("project_number", sa.String(length=32), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("owner_org_number", sa.String(length=11), nullable=True),
        sa.Column("owner_postal_code", sa.String(length=16), nullable=True),
        sa.Column("owner_city", sa.Text(), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("nuts2", sa.String(length=4), nullable=True),
        sa.Column("programme_area", sa.String(length=8), nullable=True),
        sa.Column("programme_area_name", sa.Text(), nullable=True),
        sa.Column("specific_objective", sa.String(length=16), nullable=True),
        sa.Column("phase", sa.Text(), nullable=True),
        sa.Column("call_number", sa.String(length=32), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("total_budget_sek", sa.BigInteger(), nullable=True),
        sa.Column("granted_esf_sek", sa.BigInteger(), nullable=True),
        sa.Column("total_costs_sek", sa.BigInteger(), nullable=True),
        sa.Column("eu_cofinancing_rate_pct", sa.Float(), nullable=True),
        sa.Column("planned_participants", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.Text(), nullable=True),
        sa.Column("contact_email", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("fund", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("programme_cci", sa.Text(), nullable=True),
        sa.Column("intervention_type", sa.Text(), nullable=True),
        sa.Column("strategic_importance", sa.Boolean(), nullable=True),
        sa.Column("child_poverty_theme", sa.Boolean(), nullable=True),
        sa.Column(
            "sections",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("text_truncated", sa.Boolean(), nullable=False),
        sa.Column(
            "unknown_labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_projects_period_in_order")),
        sa.CheckConstraint(
            "granted_esf_sek >= 0", name=op.f("ck_projects_granted_esf_sek_not_negative")
        ),
        sa.CheckConstraint(
            "total_budget_sek >= 0", name=op.f("ck_projects_total_budget_sek_not_negative")
        ),
        sa.CheckConstraint(
            "total_costs_sek >= 0", name=op.f("ck_projects_total_costs_sek_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["owner_org_number"],
            ["organisations.org_number"],
            name=op.f("fk_projects_owner_org_number_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["region"], ["regions.name"], name=op.f("fk_projects_region_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("programme_period", "project_number", name="uq_projects_period_number"),
        sa.UniqueConstraint("project_key", name=op.f("uq_projects_project_key")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_owner_org_number"), ["owner_org_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_projects_region"), ["region"], unique=False)

    op.create_table(
        "project_cofinanciers",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_cofinanciers_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("project_id", "position", name=op.f("pk_project_cofinanciers")),
    )
    op.create_table(
        "project_municipalities",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "kommunkod",
            sa.String(length=4),
            nullable=True,
            comment="NULL when the name is not a municipality's",
        ),
        sa.ForeignKeyConstraint(
            ["kommunkod"],
            ["municipalities.kommunkod"],
            name=op.f("fk_project_municipalities_kommunkod_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_municipalities_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("project_id", "position", name=op.f("pk_project_municipalities")),
    )
    with op.batch_alter_table("project_municipalities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_municipalities_kommunkod"), ["kommunkod"], unique=False
        )

    op.create_table(
        "project_partners",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_partners_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("project_id", "position", name=op.f("pk_project_partners")),
    )
    op.create_table(
        "project_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(length=8), nullable=False, comment="'new' or 'changed'"),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="the whole normalised record",
        ),
        sa.Column(
            "changed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="{field: {old, new}} against the previous version",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_versions_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_project_versions_run_id_crawl_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_versions")),
    )
    with op.batch_alter_table("project_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_versions_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_project_versions_run_id"), ["run_id"], unique=False)

    op.create_table(
        "url_state",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=16),
            nullable=True,
            comment="the record kind last parsed from it",
        ),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("sitemap_lastmod", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("archive_key", sa.Text(), nullable=True),
        sa.Column("removed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("news_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["news_id"], ["news_articles.id"], name=op.f("fk_url_state_news_id_news_articles")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_url_state_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_url_state_run_id_crawl_runs")
        ),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_url_state")),
    )
    with op.batch_alter_table("url_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_url_state_news_id"), ["news_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_url_state_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_url_state_run_id"), ["run_id"], unique=False)

    op.bulk_insert(
        sa.table("regions", sa.column("name"), sa.column("nuts2")), _reference_rows("regions")
    )
    op.bulk_insert(
        sa.table(
            "municipalities",
            *(sa.column(c) for c in ("kommunkod", "name", "lan_code", "lan_name", "nuts2")),
        ),
        _reference_rows("kommuner"),
    )


def downgrade() -> None:
    with op.batch_alter_table("url_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_url_state_run_id"))
        batch_op.drop_index(batch_op.f("ix_url_state_project_id"))
        batch_op.drop_index(batch_op.f("ix_url_state_news_id"))

    op.drop_table("url_state")
    with op.batch_alter_table("project_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_versions_run_id"))
        batch_op.drop_index(batch_op.f("ix_project_versions_project_id"))

    op.drop_table("project_versions")
    op.drop_table("project_partners")
    with op.batch_alter_table("project_municipalities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_municipalities_kommunkod"))

    op.drop_table("project_municipalities")
    op.drop_table("project_cofinanciers")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_region"))
        batch_op.drop_index(batch_op.f("ix_projects_owner_org_number"))

    op.drop_table("projects")
    with op.batch_alter_table("parse_errors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parse_errors_run_id"))

    op.drop_table("parse_errors")
    op.drop_table("news_project_links")
    op.drop_table("regions")
    op.drop_table("organisations")
    op.drop_table("news_articles")
    op.drop_table("municipalities")
    op.drop_table("crawl_runs")
