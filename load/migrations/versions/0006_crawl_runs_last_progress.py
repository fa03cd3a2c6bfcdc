"""crawl_runs.last_progress_at: when a run last wrote a batch, so the next run can close as
`interrupted` a run that was killed (kill -9, a crash, a machine gone) instead of leaving it
`running` for ever; time since progress, not a process id, so it works for the runs of other
machines sharing a PostgreSQL database. Rows written before this revision get their
finished_at, else their started_at.

Frozen at this revision: plain DDL and SQL, nothing imported from today's schema.

Revision ID: 0006_run_progress
Revises: 0005_wayback_guard
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_run_progress"
down_revision: str | None = "0005_wayback_guard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMMENT = "when the run last wrote a batch; a running run silent for long was killed"


def upgrade() -> None:
    timestamp = sa.DateTime(timezone=True)
    with op.batch_alter_table("crawl_runs") as batch_op:
        batch_op.add_column(
            sa.Column("last_progress_at", timestamp, nullable=True, comment=_COMMENT)
        )
    op.execute("UPDATE crawl_runs SET last_progress_at = COALESCE(finished_at, started_at)")
    with op.batch_alter_table("crawl_runs") as batch_op:
        batch_op.alter_column(
            "last_progress_at", existing_type=timestamp, nullable=False, existing_comment=_COMMENT
        )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: views read crawl_runs, and a
    # rebuild's RENAME fails on them outside load.engine.schema_change.
    op.execute("ALTER TABLE crawl_runs DROP COLUMN last_progress_at")
