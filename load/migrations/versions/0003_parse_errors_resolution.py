"""Quarantine that heals: a parse error is resolved when its page or file next loads without it.

`resolved_at` / `resolved_run_id` say when and by which run; the report counts only open
errors. The indexes on source_url and source_path serve the lookup each loaded batch makes.
Errors recorded before this revision stay open until their page is loaded again (a crawl that
fetches it, `esfbank load`, or `esfbank reparse`).

Revision ID: 0003_resolution
Revises: 0002_views
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_resolution"
down_revision: str | None = "0002_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("parse_errors") as batch_op:
        batch_op.add_column(
            sa.Column(
                "resolved_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="when the same page or file next loaded without this problem; "
                "NULL while open",
            )
        )
        batch_op.add_column(sa.Column("resolved_run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_parse_errors_resolved_run_id_crawl_runs"),
            "crawl_runs",
            ["resolved_run_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_parse_errors_source_url"), ["source_url"])
        batch_op.create_index(batch_op.f("ix_parse_errors_source_path"), ["source_path"])


def downgrade() -> None:
    with op.batch_alter_table("parse_errors") as batch_op:
        batch_op.drop_index(batch_op.f("ix_parse_errors_source_path"))
        batch_op.drop_index(batch_op.f("ix_parse_errors_source_url"))
        batch_op.drop_constraint(
            batch_op.f("fk_parse_errors_resolved_run_id_crawl_runs"), type_="foreignkey"
        )
        batch_op.drop_column("resolved_run_id")
        batch_op.drop_column("resolved_at")
