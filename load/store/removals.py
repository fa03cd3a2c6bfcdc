"""Removal: which URLs are live, by page family (the mass-removal guard's figures), and
flagging URLs removed with the projects/news none of whose URLs is live any more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load.store.sql import among, chunks


def live(u: sa.Table) -> sa.ColumnElement[bool]:
    """A URL of the live site not flagged removed (an archived capture is never live)."""
    return sa.and_(u.c.removed.is_(False), u.c.capture_url.is_(None))


def family() -> sa.ColumnElement[Any]:
    """The page family of a url_state row joined to its project (see `live_families`)."""
    u = t.url_state
    return sa.case(
        (u.c.project_id.is_not(None), sa.func.coalesce(t.projects.c.programme_period, "project")),
        (u.c.news_id.is_not(None), "news"),
        else_="other",
    )


def live_urls(conn: Connection, containing: str | None) -> list[str]:
    u = t.url_state
    query = sa.select(u.c.url).where(live(u))
    if containing is not None:
        query = query.where(sa.func.lower(u.c.url).contains(containing.lower()))
    return list(conn.scalars(query))


def live_families(conn: Connection) -> dict[str, int]:
    u = t.url_state
    by_family = family()
    query = (
        sa.select(by_family, sa.func.count())
        .select_from(u.outerjoin(t.projects, t.projects.c.id == u.c.project_id))
        .where(live(u))
        .group_by(by_family)
    )
    return {str(name): int(count) for name, count in conn.execute(query)}


def removal_families(conn: Connection, urls: Iterable[str]) -> dict[str, str]:
    u = t.url_state
    found: dict[str, str] = {}
    joined = u.outerjoin(t.projects, t.projects.c.id == u.c.project_id)
    for chunk in chunks(urls):
        query = (
            sa.select(u.c.url, family())
            .select_from(joined)
            .where(live(u), among(conn, u.c.url, chunk))
        )
        found.update((str(url), str(name)) for url, name in conn.execute(query))
    return found


def mark_removed(conn: Connection, urls: Iterable[str], run_id: int, now: dt.datetime) -> int:
    """Flag the live ones among `urls` removed, and what they carry once none of its URLs is
    live; returns how many URLs were newly flagged."""
    u, flagged = t.url_state, 0
    for chunk in chunks(urls):
        result = conn.execute(
            sa.update(u)
            .where(among(conn, u.c.url, chunk), live(u))
            .values(removed=True, removed_at=now, run_id=run_id)
        )
        flagged += result.rowcount
        for table, column in ((t.projects, u.c.project_id), (t.news_articles, u.c.news_id)):
            carried = sa.select(column).where(among(conn, u.c.url, chunk))
            still_live = sa.select(u.c.url).where(column == table.c.id, u.c.removed.is_(False))
            conn.execute(
                sa.update(table)
                .where(
                    table.c.id.in_(carried),
                    table.c.removed_at.is_(None),
                    ~sa.exists(still_live),
                )
                .values(removed_at=now)
            )
    return flagged
