"""Pages from the Internet Archive and the mass-removal guard.

- url_state.capture_url / captured_at: a page loaded from a Wayback Machine capture keeps where
  and when it was captured (its url is the original esf.se address). Such a page is history:
  never flagged removed, never asked of the live site. NULL for pages fetched from the site.
- crawl_runs.removals_withheld / removal_refusal: a run whose removals the guard refused (too
  large a share of the live pages, or of one family) records how many it would have flagged and
  why; 0 and NULL otherwise.

Rows written before this revision get NULL / 0: they were all fetched from the live site.

Revision ID: 0005_wayback_guard
Revises: 0004_redirected_to
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_wayback_guard"
down_revision: str | None = "0004_redirected_to"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "url_state",
        sa.Column(
            "capture_url",
            sa.Text(),
            nullable=True,
            comment="the Internet Archive capture the page was loaded from; "
            "NULL when fetched from the site",
        ),
    )
    op.add_column(
        "url_state",
        sa.Column(
            "captured_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the archive captured it",
        ),
    )
    op.add_column(
        "crawl_runs",
        sa.Column("removals_withheld", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("crawl_runs", sa.Column("removal_refusal", sa.Text(), nullable=True))


def downgrade() -> None:
    # Not a table rebuild: the research views read crawl_runs, and SQLite refuses to swap a
    # table views depend on; its own DROP COLUMN (3.35+) keeps the views.
    op.drop_column("crawl_runs", "removal_refusal")
    op.drop_column("crawl_runs", "removals_withheld")
    with op.batch_alter_table("url_state") as batch_op:
        batch_op.drop_column("captured_at")
        batch_op.drop_column("capture_url")
