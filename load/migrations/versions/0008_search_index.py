"""The full-text search index: `search_projects(project_id, document)` and
`search_news(news_id, document)`, filled from the pages already loaded.

SQLite: FTS5 tables of Snowball-stemmed words (unicode61 with remove_diacritics 0, so å, ä and ö
stay letters of their own), rowid = the page's id. PostgreSQL: a `tsvector` per page made by
the `swedish` configuration (title weighted A, the rest B) with a GIN index.

The DDL and the statements reading projects and news are this revision's own. The words come
from load/search_text.py, the tokeniser the loads use: the index must hold what queries ask for,
so it is the one piece of today's code this revision runs (it knows no table or view).

Revision ID: 0008_search_index
Revises: 0007_sources
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from load.search_text import document

revision: str = "0008_search_index"
down_revision: str | None = "0007_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_PG_DOCUMENT = (
    "setweight(to_tsvector('swedish', :title), 'A')"
    " || setweight(to_tsvector('swedish', :body), 'B')"
)
# (index table, id column, indexed table, its text columns)
_INDEXES = (
    ("search_projects", "project_id", "projects", "title, owner, sections"),
    ("search_news", "news_id", "news_articles", "title, body"),
)


def upgrade() -> None:
    conn = op.get_bind()
    postgresql = conn.dialect.name == "postgresql"
    for table, id_column, source, columns in _INDEXES:
        if postgresql:
            op.execute(
                f"CREATE TABLE {table} ("
                f"{id_column} INTEGER NOT NULL PRIMARY KEY REFERENCES {source} (id) "
                "ON DELETE CASCADE, document TSVECTOR NOT NULL)"
            )
            op.execute(f"CREATE INDEX ix_{table}_document ON {table} USING GIN (document)")
        else:
            op.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5({id_column} UNINDEXED, document, "
                "tokenize = 'unicode61 remove_diacritics 0')"
            )
        rows = conn.execute(sa.text(f"SELECT id, {columns} FROM {source} ORDER BY id"))
        while batch := rows.fetchmany(_BATCH):
            _insert(conn, table, id_column, [_document(source, row) for row in batch])


def _document(source: str, row: Any) -> tuple[int, Any]:
    if source == "projects":
        sections = json.loads(row.sections) if isinstance(row.sections, str) else row.sections
        return row.id, document(row.title, [row.owner, *(sections or {}).values()])
    return row.id, document(row.title, [row.body])


def _insert(conn: sa.Connection, table: str, id_column: str, docs: list[tuple[int, Any]]) -> None:
    if conn.dialect.name == "postgresql":
        statement = f"INSERT INTO {table} ({id_column}, document) VALUES (:id, {_PG_DOCUMENT})"
        values = [{"id": i, "title": " ".join(d.title), "body": " ".join(d.body)} for i, d in docs]
    else:
        statement = f"INSERT INTO {table} (rowid, {id_column}, document) VALUES (:id, :id, :doc)"
        values = [{"id": i, "doc": d.stems()} for i, d in docs]
    conn.execute(sa.text(statement), values)


def downgrade() -> None:
    for table, _, _, _ in reversed(_INDEXES):
        op.execute(f"DROP TABLE {table}")
