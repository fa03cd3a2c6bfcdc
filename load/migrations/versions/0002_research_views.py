"""Views for researchers: v_projects, v_project_history, v_news and the summaries.

The definitions live in load/views.py (typed selects compiled for the backend at hand). A
later revision that changes a view, or renames a table or column one reads, drops the views
first and re-creates them afterwards. One that only alters a table a view reads needs nothing
more: SQLite's batch-mode rebuild runs inside load.engine.schema_change, which keeps views.

Revision ID: 0002_views
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from load.views import VIEWS

revision: str = "0002_views"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Views whose current definition reads tables of later revisions: 0007_sources creates them
# (with its own frozen SQL). A stopgap until this revision holds its own frozen view SQL.
_LATER = frozenset({"v_projects", "v_project_links", "v_source_disagreements"})


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for view in VIEWS.values():
        if view.name not in _LATER:
            op.execute(view.create(dialect))


def downgrade() -> None:
    for view in reversed(list(VIEWS.values())):
        op.execute(view.drop())
