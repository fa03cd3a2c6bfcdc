"""url_state: what each URL's last fetch left (validators, hash, record it carries), redirects,
and URLs seen without a download."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load.bulk import insert_tuples, upsert_rows, upsert_tuples
from load.store.items import LoadItem, Redirect, UrlState
from load.store.sql import among, chunks

# url_state columns a fetch may not send (a 304, a page without ETag): the stored value stays.
# An archived page's capture stays with it when `reparse` loads it again.
KEPT = ("last_fetched_at", "http_status", "etag", "last_modified", "sitemap_lastmod",
        "archive_key", "project_id", "news_id", "capture_url", "captured_at")  # fmt: skip


def url_states(conn: Connection, urls: Iterable[str]) -> dict[str, UrlState]:
    """The stored state of these URLs (absent ones are left out)."""
    u = t.url_state
    found: dict[str, UrlState] = {}
    for chunk in chunks(urls):
        for row in conn.execute(sa.select(u).where(among(conn, u.c.url, chunk))).mappings():
            found[row["url"]] = UrlState(
                url=row["url"],
                kind=row["kind"],
                http_status=row["http_status"],
                etag=row["etag"],
                last_modified=row["last_modified"],
                sitemap_lastmod=row["sitemap_lastmod"],
                content_hash=row["content_hash"],
                archive_key=row["archive_key"],
                last_fetched_at=row["last_fetched_at"],
                last_seen_at=row["last_seen_at"],
                removed=bool(row["removed"]),
                redirected_to=row["redirected_to"],
                capture_url=row["capture_url"],
            )
    return found


def redirect_rows(
    redirects: Iterable[Redirect], run_id: int, now: dt.datetime
) -> list[dict[str, Any]]:
    """The url_state rows of redirected URLs (the last of each URL's redirects)."""
    return [
        url_state_row(
            r.url,
            run_id,
            now,
            last_fetched_at=r.fetched_at,
            http_status=r.http_status,
            sitemap_lastmod=r.sitemap_lastmod,
            redirected_to=r.target,
        )
        for r in {r.url: r for r in redirects}.values()
    ]


def write_redirects(conn: Connection, rows: list[dict[str, Any]]) -> None:
    upsert_rows(conn, t.url_state, rows, key="url", keep_when_null=("sitemap_lastmod",))


def touch_seen(
    conn: Connection,
    urls: Iterable[str],
    run_id: int,
    now: dt.datetime,
    not_modified: Mapping[str, str | None] | None,
) -> None:
    """Mark URLs seen now and not removed, with what they carry; store the lastmod of the
    URLs answered 304."""
    u = t.url_state
    if not_modified:
        conn.execute(
            sa.update(u)
            .where(u.c.url == sa.bindparam("b_url"))
            .values(sitemap_lastmod=sa.bindparam("b_lastmod"), last_fetched_at=now),
            [{"b_url": url, "b_lastmod": lastmod} for url, lastmod in not_modified.items()],
        )
    for chunk in chunks(urls):
        conn.execute(
            sa.update(u)
            .where(among(conn, u.c.url, chunk))
            .values(last_seen_at=now, run_id=run_id, removed=False, removed_at=None)
        )
        for table, column in ((t.projects, u.c.project_id), (t.news_articles, u.c.news_id)):
            carried = sa.select(column).where(among(conn, u.c.url, chunk))
            conn.execute(
                sa.update(table)
                .where(table.c.id.in_(carried), table.c.removed_at.is_not(None))
                .values(removed_at=None)
            )


# A loaded page: its URL, the item, its content hash, the project or news id it carries.
Page = tuple[str, LoadItem, str | None, int | None, int | None]


def item_rows(pages: Iterable[Page], run_id: int, now: dt.datetime) -> list[tuple[Any, ...]]:
    """The url_state rows of loaded pages: `url_state_row`'s nulls and what the fetch knew, as
    tuples in the order of its columns (ITEM_COLUMNS), made by the thousand."""
    return [
        (url, item.record.kind, run_id, item.fetched_at, now, item.http_status, item.etag,
         item.last_modified, item.sitemap_lastmod, digest, item.archive_key, False, None,
         project_id, news_id, None, item.capture_url, item.captured_at)
        for url, item, digest, project_id, news_id in pages
    ]  # fmt: skip


def stored_urls(conn: Connection, urls: Iterable[str]) -> set[str] | None:
    """The URLs among `urls` that url_state holds, on PostgreSQL; None on SQLite, where an
    upsert costs what an insert does. (Looked up in the write transaction: writers are
    serialised, so none is added before `write_items`.)"""
    if conn.dialect.name != "postgresql":
        return None
    u = t.url_state
    found: set[str] = set()
    for chunk in chunks(urls):
        found.update(conn.execute(sa.select(u.c.url).where(among(conn, u.c.url, chunk))).scalars())
    return found


def write_items(
    conn: Connection, rows: list[tuple[Any, ...]], stored: Collection[str] | None = None
) -> None:
    """Upsert the url_state rows of loaded pages (`item_rows`), keeping what a fetch did not
    send. With `stored` (`stored_urls`), the rows of URLs not stored yet are inserted as they
    are: on PostgreSQL a COPY into the table costs two thirds of an upsert staged through a
    temporary table, and a first load has nothing but new URLs."""
    if stored is not None:
        new = [row for row in rows if row[0] not in stored]
        insert_tuples(conn, t.url_state, ITEM_COLUMNS, new)
        rows = [row for row in rows if row[0] in stored] if new else rows
    upsert_tuples(conn, t.url_state, ITEM_COLUMNS, rows, key="url", keep_when_null=KEPT)


def url_state_row(url: str, run_id: int, now: dt.datetime, **values: Any) -> dict[str, Any]:
    """A url_state row of a live URL seen now: `values` over nulls. `redirected_to` is null
    unless given (not kept when null: a URL may stop redirecting)."""
    return {
        "url": url,
        "kind": None,
        "run_id": run_id,
        "last_fetched_at": None,
        "last_seen_at": now,
        "http_status": None,
        "etag": None,
        "last_modified": None,
        "sitemap_lastmod": None,
        "content_hash": None,
        "archive_key": None,
        "removed": False,
        "removed_at": None,
        "project_id": None,
        "news_id": None,
        "redirected_to": None,
        "capture_url": None,
        "captured_at": None,
        **values,
    }


# The url_state columns of a loaded page's row: `url_state_row`'s, in its order.
ITEM_COLUMNS = tuple(url_state_row("", 0, dt.datetime.min))
