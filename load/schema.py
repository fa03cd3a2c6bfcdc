"""The tables, as SQLAlchemy Core metadata: the single description migrations are checked against.

Column names of `projects`, `project_versions` and `news_articles` are the record contract's
(DESIGN.md), because researchers' queries use them. The typed columns of `projects` are the field
registry's (parsers/fields.py). Money is BIGINT kronor; timestamps are UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from parsers.fields import FIELDS, Field, Kind

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# JSON in both backends; JSONB on PostgreSQL so researchers can index and query into it.
Json = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


class UtcTimestamp(sa.types.TypeDecorator[dt.datetime]):
    """A moment, stored and read back in UTC, time-zone aware on both backends. SQLite keeps
    no offset, so without this it hands back naive values where PostgreSQL hands back aware
    ones in its session's zone: exports, reports and url_state would differ by backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else _as_utc(value)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else _as_utc(value)


def _as_utc(value: dt.datetime) -> dt.datetime:
    """Aware values in UTC; naive ones are UTC already (what SQLite stores)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def plain_type(column_type: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type under a decorated one (UtcTimestamp → DateTime), for code that
    chooses by kind of type: bulk writes, export formats, the data dictionary."""
    if isinstance(column_type, sa.types.TypeDecorator):
        return plain_type(column_type.impl_instance)
    return column_type


Timestamp = UtcTimestamp()

regions = sa.Table(
    "regions",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("nuts2", sa.String(4), unique=True, comment="NULL for Nationellt"),
)

municipalities = sa.Table(
    "municipalities",
    metadata,
    sa.Column("kommunkod", sa.String(4), primary_key=True, comment="SCB kommunkod"),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("lan_code", sa.String(2), nullable=False),
    sa.Column("lan_name", sa.String(64), nullable=False),
    sa.Column("nuts2", sa.String(4), nullable=False),
)

organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("org_number", sa.String(11), primary_key=True, comment="NNNNNN-NNNN"),
    sa.Column(
        "name", sa.Text, comment="of the owner names its pages give, the alphabetically first"
    ),
)

crawl_runs = sa.Table(
    "crawl_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("finished_at", Timestamp),
    sa.Column(
        "last_progress_at",
        Timestamp,
        nullable=False,
        comment="when the run last wrote a batch; a running run silent for long was killed",
    ),
    sa.Column("fetched", sa.Integer, nullable=False, server_default="0"),
    sa.Column("new", sa.Integer, nullable=False, server_default="0"),
    sa.Column("changed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("removed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("removals_withheld", sa.Integer, nullable=False, server_default="0"),
    sa.Column("removal_refusal", sa.Text),
)

_SQL_TYPES: dict[str, type[sa.types.TypeEngine[Any]]] = {
    "text": sa.Text,
    "bigint": sa.BigInteger,
    "integer": sa.Integer,
    "float": sa.Float,
    "boolean": sa.Boolean,
    "date": sa.Date,
}


def sql_type(kind: Kind) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type of a registry kind (parsers/fields.py keeps SQL types neutral)."""
    if kind.sql == "varchar":
        return sa.String(kind.length)
    return _SQL_TYPES[kind.sql]()


def field_column(field: Field) -> sa.Column[Any]:
    """The projects column of a registry field (referring columns are indexed)."""
    refers = (sa.ForeignKey(field.references),) if field.references else ()
    index = True if field.references else None
    return sa.Column(
        field.name, sql_type(field.kind), *refers, nullable=not field.required, index=index
    )


# The foreign keys PostgreSQL enforces with statement-level triggers instead of constraints
# (migration 0010; docs/postgresql.md says why and how), as (table, column): a real foreign key
# costs one look-up per inserted row, the triggers one anti-join per COPY (or, for integer keys
# that fill a range, one range scan: migration 0012). The database still
# refuses every dangling value; SQLite keeps them all as constraints. The search index tables
# (load/search.py, outside this metadata) are checked the same way.
STATEMENT_CHECKED_KEYS = frozenset(
    {
        ("projects", "region"),
        ("projects", "owner_org_number"),
        ("project_versions", "project_id"),
        ("project_versions", "run_id"),
        ("project_municipalities", "project_id"),
        ("project_municipalities", "kommunkod"),
        ("project_partners", "project_id"),
        ("project_cofinanciers", "project_id"),
        ("news_project_links", "news_id"),
        ("url_state", "run_id"),
        ("url_state", "project_id"),
        ("url_state", "news_id"),
        ("project_links", "project_id"),
    }
)

# The natural key first, then where the page was read, then the other fields.
_KEY_FIELDS = ("programme_period", "project_number")

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_key",
        sa.Text,
        nullable=False,
        unique=True,
        comment="'<period> <number>', or 'url:<normalised URL>' when there is no number",
    ),
    *(field_column(f) for f in FIELDS if f.name in _KEY_FIELDS),
    sa.Column("source_url", sa.Text),
    *(field_column(f) for f in FIELDS if f.name not in _KEY_FIELDS),
    sa.Column("sections", Json, nullable=False),
    sa.Column("text_truncated", sa.Boolean, nullable=False),
    sa.Column("unknown_labels", Json, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("first_seen_at", Timestamp, nullable=False),
    sa.Column("last_changed_at", Timestamp, nullable=False),
    sa.Column("removed_at", Timestamp),
    sa.UniqueConstraint("programme_period", "project_number", name="uq_projects_period_number"),
    sa.CheckConstraint("end_date >= start_date", name="period_in_order"),
    *(
        sa.CheckConstraint(f"{f.name} >= 0", name=f"{f.name}_not_negative")
        for f in FIELDS
        if f.kind.non_negative
    ),
)

project_versions = sa.Table(
    "project_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id"), nullable=False, index=True),
    sa.Column("seen_at", Timestamp, nullable=False),
    sa.Column("change", sa.String(8), nullable=False, comment="'new' or 'changed'"),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("record", Json, nullable=False, comment="the whole normalised record"),
    sa.Column("changed", Json, comment="{field: {old, new}} against the previous version"),
)


def _child_table(name: str, *extra: sa.Column[str]) -> sa.Table:
    """A project's ordered list (municipalities, partners, co-financiers), one row per entry."""
    return sa.Table(
        name,
        metadata,
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        *extra,
    )


project_municipalities = _child_table(
    "project_municipalities",
    sa.Column(
        "kommunkod",
        sa.String(4),
        sa.ForeignKey("municipalities.kommunkod"),
        index=True,
        comment="NULL when the name is not a municipality's",
    ),
)
project_partners = _child_table("project_partners")
project_cofinanciers = _child_table("project_cofinanciers")

news_articles = sa.Table(
    "news_articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_key", sa.Text, nullable=False, unique=True, comment="normalised URL"),
    sa.Column("source_url", sa.Text, nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("published_date", sa.Date),
    sa.Column("body", sa.Text),
    sa.Column("unknown_labels", Json, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("first_seen_at", Timestamp, nullable=False),
    sa.Column("last_changed_at", Timestamp, nullable=False),
    sa.Column("removed_at", Timestamp),
)

news_project_links = sa.Table(
    "news_project_links",
    metadata,
    sa.Column("news_id", sa.Integer, sa.ForeignKey("news_articles.id"), primary_key=True),
    sa.Column(
        "project_number",
        sa.String(32),
        primary_key=True,
        comment="as mentioned; join projects.project_number",
    ),
)

url_state = sa.Table(
    "url_state",
    metadata,
    sa.Column("url", sa.Text, primary_key=True),
    sa.Column("kind", sa.String(16), comment="the record kind last parsed from it"),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id"), index=True),
    sa.Column("last_fetched_at", Timestamp),
    sa.Column("last_seen_at", Timestamp),
    sa.Column("http_status", sa.Integer),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("sitemap_lastmod", sa.Text),
    sa.Column("content_hash", sa.String(64)),
    sa.Column("archive_key", sa.Text),
    sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("removed_at", Timestamp),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), index=True),
    sa.Column("news_id", sa.Integer, sa.ForeignKey("news_articles.id"), index=True),
    sa.Column(
        "redirected_to",
        sa.Text,
        comment="the URL its last fetch ended at after redirects; NULL when it answered itself",
    ),
    sa.Column(
        "capture_url",
        sa.Text,
        comment="the Internet Archive capture the page was loaded from; "
        "NULL when fetched from the site",
    ),
    sa.Column("captured_at", Timestamp, comment="when the archive captured it"),
)

parse_errors = sa.Table(
    "parse_errors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "fingerprint",
        sa.String(64),
        nullable=False,
        unique=True,
        comment="hash of source, field, value and message: a problem is kept once",
    ),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id"), index=True),
    sa.Column("source_url", sa.Text),
    sa.Column("source_path", sa.Text),
    sa.Column("archive_key", sa.Text),
    sa.Column("field", sa.Text),
    sa.Column("label", sa.Text),
    sa.Column("value", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column(
        "resolved_at",
        Timestamp,
        comment="when the same page or file next loaded without this problem; NULL while open",
    ),
    sa.Column("resolved_run_id", sa.Integer, sa.ForeignKey("crawl_runs.id")),
    sa.Index("ix_parse_errors_source_url", "source_url"),
    sa.Index("ix_parse_errors_source_path", "source_path"),
)

# -- other sources of the same projects (load/sources/): the bank's CSV export and Kohesio ------


def _source_bookkeeping() -> tuple[sa.Column[Any], ...]:
    """Columns every imported source row carries: its hash, the import that last wrote it, and
    the flag set when the newest file of its source and period no longer lists it."""
    return (
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id"), nullable=False),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.Column("last_changed_at", Timestamp, nullable=False),
        sa.Column(
            "dropped_at",
            Timestamp,
            comment="when the newest file of its source and period stopped listing it",
        ),
        sa.Column("dropped_run_id", sa.Integer, sa.ForeignKey("crawl_runs.id")),
    )


esf_export_projects = sa.Table(
    "esf_export_projects",
    metadata,
    sa.Column("project_number", sa.String(32), primary_key=True),
    sa.Column("programme_period", sa.String(9), nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("owner", sa.Text),
    sa.Column("owner_org_number", sa.String(11), index=True),
    sa.Column("owner_city", sa.Text),
    sa.Column("country", sa.Text),
    sa.Column("priority", sa.Text),
    sa.Column("specific_objective", sa.Text),
    sa.Column("intervention_field", sa.Text),
    sa.Column("total_budget_sek", sa.BigInteger),
    sa.Column("eu_cofinancing_rate_pct", sa.Float),
    sa.Column("eu_contribution_sek", sa.BigInteger),
    sa.Column("summary", sa.Text),
    sa.Column("summary_en", sa.Text),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("fund", sa.Text),
    sa.Column("programme_cci", sa.Text),
    *_source_bookkeeping(),
)

kohesio_operations = sa.Table(
    "kohesio_operations",
    metadata,
    sa.Column("external_id", sa.String(32), primary_key=True, comment="Q-number: 'Q7361953'"),
    sa.Column("programme_period", sa.String(9), nullable=False),
    sa.Column("local_identifier", sa.Text),
    sa.Column("project_number", sa.String(32), index=True),
    sa.Column("name", sa.Text),
    sa.Column("name_en", sa.Text),
    sa.Column("country_code", sa.String(2)),
    sa.Column("fund_code", sa.Text),
    sa.Column("programme_code", sa.Text),
    sa.Column("programme_name", sa.Text),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("cofinancing_rate_pct", sa.Float),
    sa.Column("total_eligible_expenditure", sa.Numeric(18, 2)),
    sa.Column("currency", sa.String(3)),
    sa.Column("eu_budget", sa.Numeric(18, 2)),
    sa.Column("beneficiary_id", sa.Text),
    sa.Column("beneficiary_name", sa.Text),
    sa.Column("beneficiary_org_number", sa.String(11), index=True),
    *_source_bookkeeping(),
)

project_links = sa.Table(
    "project_links",
    metadata,
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("source", sa.String(16), primary_key=True, comment="'kohesio' or 'esf_export'"),
    sa.Column("external_id", sa.String(32), nullable=False),
    sa.Column("matched_on", sa.String(32), nullable=False),
    sa.UniqueConstraint("source", "external_id", name="uq_project_links_source_external_id"),
)
