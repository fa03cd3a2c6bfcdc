"""url_state.redirected_to: where a fetch of the URL ended after redirects (NULL: it answered
itself), so a nightly crawl can skip or ask conditionally for a URL that redirects instead of
downloading its target again every night. Rows written before this revision hold NULL; their
URLs are fetched as before until a crawl records where they lead.

Revision ID: 0004_redirected_to
Revises: 0003_resolution
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_redirected_to"
down_revision: str | None = "0003_resolution"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("url_state") as batch_op:
        batch_op.add_column(
            sa.Column(
                "redirected_to",
                sa.Text(),
                nullable=True,
                comment="the URL its last fetch ended at after redirects; "
                "NULL when it answered itself",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("url_state") as batch_op:
        batch_op.drop_column("redirected_to")
