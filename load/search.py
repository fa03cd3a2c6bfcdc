"""The search index: kept current by every load (the store calls `index` once per batch and
kind with what it wrote, last) and asked by `esfbank search` and `serve`.

SQLite: FTS5 tables of stemmed words (load/search_text.py stems), `rowid` = the page's id.
PostgreSQL: tables of `tsvector`s, what the `swedish` configuration makes of the same words,
made from the same stems by load/tsvector.py (in a thread of their own during a load:
`Vectors`), with a GIN index; a query's `tsquery` is made of the same stems too. On both,
`search_projects(project_id, document)` and `search_news(news_id, document)`; migration 0008
builds them and indexes the pages already loaded.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import pgsend
from load.search_text import Query, document, project_texts, snippet, stemmed
from load.threads import Pending, Worker
from load.tsvector import tsvector
from parsers.records import NewsRecord, ProjectRecord

# table, id column, the table it indexes
INDEXES = {
    "project": ("search_projects", "project_id", "projects"),
    "news": ("search_news", "news_id", "news_articles"),
}
# FTS5 keeps each index in shadow tables named after it: not tables of their own to document.
_FTS5_SHADOWS = ("_data", "_idx", "_content", "_docsize", "_config")
SHADOW_TABLES = frozenset(
    table + suffix for table, _, _ in INDEXES.values() for suffix in _FTS5_SHADOWS
)
TABLES = frozenset(table for table, _, _ in INDEXES.values()) | SHADOW_TABLES


def outside_schema(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's `include_name`: the search index is made per backend by its migration, not by
    load/schema.py, so autogenerate and the models-vs-migrations check leave it alone."""
    return not (type_ == "table" and name in TABLES)


_PG_VECTOR_TYPES = ("int4", "bytea")  # id, and the tsvector in its binary form, for a COPY


class Vectors:
    """PostgreSQL's tsvectors of a load's pages, made by a thread of their own while the load's
    connection stores the batch.

    Made from the stems SQLite's index holds (load/tsvector.py, which says why not by the
    server), they cost the client some 0.1 ms a page of real text and the server nothing but
    their COPY: a load of 10,000 such pages took 2.84 s instead of 3.72 (paired runs, medians)
    when a second connection ran `to_tsvector`."""

    def __init__(self) -> None:
        self._thread = Worker()
        self._last: Pending[list[bytes]] | None = None

    def start(self, records: Sequence[ProjectRecord | NewsRecord]) -> Pending[list[bytes]]:
        """The records' tsvectors, in their order, once made."""
        self._last = self._thread.submit(_tsvectors, [page_texts(r) for r in records])
        return self._last

    def busy(self) -> bool:
        """Whether tsvectors asked for are still being made."""
        return self._last is not None and not self._last.done()

    def close(self) -> None:
        self._thread.close()


def _tsvectors(pages: list[list[str | None]]) -> list[bytes]:
    return [tsvector(document(title, texts)) for title, *texts in pages]


@dataclass(frozen=True, slots=True)
class Hit:
    """One page found; `rank` is its place in the list (1 = most relevant)."""

    kind: str
    title: str | None
    project_number: str | None
    source_url: str | None
    rank: int
    snippet: str
    programme_period: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "project_number": self.project_number,
            "source_url": self.source_url,
            "rank": self.rank,
            "snippet": self.snippet,
        }


def page_texts(record: ProjectRecord | NewsRecord) -> list[str | None]:
    """A page's searchable texts, its title first: a project's owner and sections, a news
    article's body."""
    if isinstance(record, ProjectRecord):
        return [record.title, *project_texts(record.owner, record.sections)]
    return [record.title, record.body]


def index(
    conn: Connection,
    kind: str,
    pages: Sequence[tuple[int, ProjectRecord | NewsRecord]],
    replaced: Collection[int],
    vectors: Pending[list[bytes]] | None = None,
) -> None:
    """(Re-)index pages of `kind` given as (id, record); on PostgreSQL `vectors` holds their
    tsvectors (`Vectors.start` of the records, in the same order). The old entries that go: on
    PostgreSQL those of `replaced`, the ids among them indexed before (its sequences never give
    an id twice, and a deleted page's entry goes with it, ON DELETE CASCADE), so a first load
    waits for no DELETE; on SQLite every page's (FTS5 has no foreign key, and a new id, the
    largest plus one, may be a deleted page's)."""
    if not pages:
        return
    table, id_column, _ = INDEXES[kind]
    if conn.dialect.name == "postgresql":
        assert vectors is not None, "PostgreSQL's index is written from Vectors"
        if replaced:
            delete = sa.text(f"DELETE FROM {table} WHERE {id_column} = ANY(:ids)")
            conn.execute(delete, {"ids": list(replaced)})
        ids = [i for i, _ in pages]
        rows = zip(ids, vectors.result(), strict=True)
        pgsend.copy(conn, table, (id_column, "document"), rows, _PG_VECTOR_TYPES)
        return
    conn.exec_driver_sql(f"DELETE FROM {table} WHERE rowid = ?", [(i,) for i, _ in pages])
    conn.exec_driver_sql(
        f"INSERT INTO {table} (rowid, {id_column}, document) VALUES (?, ?, ?)",
        [(i, i, stemmed(page_texts(record))) for i, record in pages],
    )


def has_index(conn: Connection) -> bool:
    """Whether the database has the search index (migration 0008 or later)."""
    inspector = sa.inspect(conn)
    return all(inspector.has_table(table) for table, _, _ in INDEXES.values())


def search(
    conn: Connection,
    query: Query,
    *,
    limit: int = 20,
    kind: str | None = None,
    period: str | None = None,
) -> list[Hit]:
    """The current (not removed) pages matching every term of `query`, most relevant first.

    Relevance is the backend's own (bm25 on SQLite, ts_rank on PostgreSQL), so the order may
    differ between backends; which pages match does not. With `period`, news (which have no
    period) are left out."""
    kinds = [kind] if kind else ["project", "news"]
    if period is not None:
        kinds = [k for k in kinds if k == "project"]
    ranked: list[tuple[float, str, int]] = []
    for k in kinds:
        best = (_ranked_pg if conn.dialect.name == "postgresql" else _ranked_sqlite)(
            conn, k, query, period, limit
        )
        ranked += [(score, k, page_id) for page_id, score in best]
    ranked.sort(key=lambda r: (r[0], r[1] != "project", r[2]))
    ranked = ranked[:limit]
    rows = {
        (k, row["id"]): row
        for k in kinds
        for row in _rows(conn, k, [i for _, kind_, i in ranked if kind_ == k])
    }
    stems = query.stems()
    return [
        _hit(k, rows[k, page_id], rank, stems)
        for rank, (_, k, page_id) in enumerate(ranked, start=1)
    ]


def _current(period: str | None) -> tuple[str, dict[str, Any]]:
    """The SQL condition (on `p`) of a page that may be shown: not removed, of the period."""
    where, params = "p.removed_at IS NULL", {}
    if period is not None:
        where += " AND p.programme_period = :period"
        params["period"] = period
    return where, params


def _ranked_pg(
    conn: Connection, kind: str, query: Query, period: str | None, limit: int
) -> list[tuple[int, float]]:
    """(id, score) of the best `limit` current matches, lower scores better. Only ids and
    scores are sorted: carrying each match's text through the sort cost more than the search."""
    table, id_column, source = INDEXES[kind]
    where, params = _current(period)
    sql = (
        f"SELECT p.id, -ts_rank(s.document, q.q) AS score "
        f"FROM {table} s JOIN {source} p ON p.id = s.{id_column}, "
        f"(SELECT CAST(:query AS tsquery) AS q) q "
        f"WHERE s.document @@ q.q AND {where} ORDER BY score, p.id LIMIT :limit"
    )
    params.update(query=query.tsquery(), limit=limit)
    return [(i, score) for i, score in conn.execute(sa.text(sql), params)]


def _ranked_sqlite(
    conn: Connection, kind: str, query: Query, period: str | None, limit: int
) -> list[tuple[int, float]]:
    """As _ranked_pg. FTS5 ranks its matches alone (bm25, in C) and only the best few are
    looked up in the table; more are asked for while removed pages or other periods thin them
    out. Joining every match to its row first cost a third more on common words."""
    table, _, source = INDEXES[kind]
    where, params = _current(period)
    best = sa.text(
        f"SELECT rowid, rank FROM {table} WHERE {table} MATCH :match ORDER BY rank, rowid LIMIT :k"
    )
    shown = sa.text(
        f"SELECT p.id FROM {source} p WHERE p.id IN (SELECT value FROM json_each(:ids)) AND {where}"
    )
    k = 2 * limit + 10
    while True:
        candidates = conn.execute(best, {"match": query.fts5(), "k": k}).all()
        ids = json.dumps([i for i, _ in candidates])
        keep = set(conn.execute(shown, {**params, "ids": ids}).scalars())
        found = [(i, score) for i, score in candidates if i in keep]
        if len(found) >= limit or len(candidates) < k:
            return found[:limit]
        k *= 4


def _rows(conn: Connection, kind: str, ids: list[int]) -> Sequence[Any]:
    """What a hit shows of the pages `ids`."""
    if not ids:
        return []
    _, _, source = INDEXES[kind]
    columns = (
        "id, title, project_number, source_url, owner, sections, programme_period"
        if kind == "project"
        else "id, title, NULL AS project_number, source_url, body, NULL AS programme_period"
    )
    statement = sa.text(f"SELECT {columns} FROM {source} WHERE id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    return conn.execute(statement, {"ids": ids}).mappings().all()


def _hit(kind: str, row: Any, rank: int, stems: frozenset[str]) -> Hit:
    if kind == "project":
        sections = row["sections"]
        if isinstance(sections, str):  # SQLite hands JSON back as text
            sections = json.loads(sections)
        texts = [row["title"], *project_texts(row["owner"], sections)]
    else:
        texts = [row["title"], row["body"]]
    return Hit(
        kind=kind,
        title=row["title"],
        project_number=row["project_number"],
        source_url=row["source_url"],
        rank=rank,
        snippet=snippet(texts, stems),
        programme_period=row["programme_period"],
    )
