"""Upserts and versions: projects and news against what is stored (new, changed, unchanged,
returning), their owners in organisations, a project_versions row per new or changed
project, and the search index and news→project links that follow them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load import search
from load.bulk import allocate_ids, insert_rows, upsert_rows
from load.rows import changed_fields
from load.store import children
from load.store.items import UpsertCounts
from load.store.plan import Plan, Unit
from load.store.sql import among, chunks, first
from parsers.records import NewsRecord


@dataclass(slots=True)
class Sorted:
    """A batch's units against what is stored: new, changed, unchanged but flagged removed
    (returning), and unchanged but met under a URL that sorts before the stored one."""

    new: list[Unit]
    changed: list[Unit]
    returning: list[Unit]
    relinked: list[Unit]


def write_projects(
    conn: Connection, plan: Plan, run_id: int, now: dt.datetime, kommunkod: children.Kommunkoder
) -> None:
    p = t.projects
    sorted_out = sort_out(conn, p, p.c.project_key, plan.projects, plan.counts)
    written = sorted_out.new + sorted_out.changed
    orgs: dict[str, str | None] = {}  # before the projects that refer to them
    for unit in written:
        number, name = unit.prepared.row["owner_org_number"], unit.prepared.row["owner"]
        if number is not None:
            orgs[number] = first(orgs.get(number, name), name)
    if orgs:
        # The alphabetically first spelling wins, compared by code point as Python's min().
        binary = 'COLLATE "C"' if conn.dialect.name == "postgresql" else "COLLATE BINARY"
        upsert_rows(
            conn,
            t.organisations,
            [{"org_number": k, "name": v} for k, v in orgs.items()],
            key="org_number",
            update_when=f"organisations.name IS NULL"
            f" OR excluded.name {binary} < organisations.name {binary}",
        )
    previous = latest_versions(conn, [u.id for u in sorted_out.changed])
    write_sorted(
        conn,
        p,
        sorted_out,
        now,
        key_name="project_key",
        child_tables=children.TABLES,
        child_key="project_id",
    )
    if written:
        children.write(conn, written, kommunkod)
        search.index_projects(conn, [(_id(u), u.prepared.row) for u in written])
        versions = [
            {
                "project_id": u.id,
                "run_id": run_id,
                "seen_at": now,
                "change": "changed" if u.id in previous else "new",
                "content_hash": u.prepared.hash,
                "record": u.prepared.content_json,
                "changed": changed_fields(previous[u.id], json.loads(u.prepared.content_json))
                if u.id in previous
                else None,
            }
            for u in written
        ]
        insert_rows(conn, t.project_versions, versions)


def write_news(conn: Connection, plan: Plan, now: dt.datetime) -> None:
    n, links = t.news_articles, t.news_project_links
    sorted_out = sort_out(conn, n, n.c.article_key, plan.news, plan.counts)
    write_sorted(
        conn, n, sorted_out, now, key_name="article_key", child_tables=(links,), child_key="news_id"
    )
    written = sorted_out.new + sorted_out.changed
    search.index_news(conn, [(_id(u), u.prepared.row) for u in written])
    link_rows = [
        {"news_id": u.id, "project_number": number}
        for u in written
        if isinstance(u.item.record, NewsRecord)
        for number in dict.fromkeys(u.item.record.mentioned_project_numbers)
    ]
    insert_rows(conn, links, link_rows)


def sort_out(
    conn: Connection,
    table: sa.Table,
    key_column: sa.Column[str],
    units: Mapping[str, Unit],
    counts: UpsertCounts,
) -> Sorted:
    """Compare hashes with the stored rows; known units get their id; counts are updated.

    `source_url` becomes the first, in code-point order, of the URLs a record was met under,
    so it does not depend on the order pages were loaded in."""
    existing = _existing(conn, table, key_column, list(units))
    result = Sorted([], [], [], [])
    for key, unit in units.items():
        known = existing.get(key)
        if known is None:
            result.new.append(unit)
            continue
        unit.id = known.id
        row = unit.prepared.row
        row["source_url"] = first(known.source_url, row["source_url"])
        if known.content_hash != unit.prepared.hash:
            result.changed.append(unit)
            continue
        if known.removed_at is not None:
            result.returning.append(unit)
        if row["source_url"] != known.source_url:
            result.relinked.append(unit)
    counts.new += len(result.new)
    counts.changed += len(result.changed)
    counts.unchanged += len(units) - len(result.new) - len(result.changed)
    return result


def write_sorted(
    conn: Connection,
    table: sa.Table,
    sorted_out: Sorted,
    now: dt.datetime,
    *,
    key_name: str,
    child_tables: Sequence[sa.Table],
    child_key: str,
) -> None:
    """Insert the new rows (ids assigned), update the changed ones and drop their child rows
    (the caller writes them afresh), and un-flag the unchanged ones that came back."""
    if sorted_out.new:
        for unit, new_id in zip(
            sorted_out.new, allocate_ids(conn, table, len(sorted_out.new)), strict=True
        ):
            unit.id = new_id
        rows = [
            {
                "id": u.id,
                **u.prepared.row,
                key_name: u.prepared.key,
                "content_hash": u.prepared.hash,
                "first_seen_at": now,
                "last_changed_at": now,
                "removed_at": None,
            }
            for u in sorted_out.new
        ]
        insert_rows(conn, table, rows)
    if sorted_out.changed:
        changed = [
            {
                **u.prepared.row,
                "target_id": u.id,
                "content_hash": u.prepared.hash,
                "last_changed_at": now,
                "removed_at": None,
            }
            for u in sorted_out.changed
        ]
        conn.execute(sa.update(table).where(table.c.id == sa.bindparam("target_id")), changed)
        for child in child_tables:
            for chunk in chunks([u.id for u in sorted_out.changed]):
                conn.execute(sa.delete(child).where(among(conn, child.c[child_key], chunk)))
    if sorted_out.returning:
        ids = [u.id for u in sorted_out.returning]
        conn.execute(sa.update(table).where(among(conn, table.c.id, ids)).values(removed_at=None))
    if sorted_out.relinked:
        conn.execute(
            sa.update(table).where(table.c.id == sa.bindparam("target_id")),
            [
                {"target_id": u.id, "source_url": u.prepared.row["source_url"]}
                for u in sorted_out.relinked
            ],
        )


def _id(unit: Unit) -> int:
    """The id of a unit written (set by `sort_out` or `write_sorted`)."""
    assert unit.id is not None
    return unit.id


def _existing(
    conn: Connection, table: sa.Table, key_column: sa.Column[str], keys: list[str]
) -> dict[str, Any]:
    """key → (id, key, content_hash, removed_at, source_url) of the rows already stored."""
    found: dict[str, Any] = {}
    c = table.c
    columns = (c.id, key_column, c.content_hash, c.removed_at, c.source_url)
    for chunk in chunks(keys):
        for row in conn.execute(sa.select(*columns).where(among(conn, key_column, chunk))):
            found[row[1]] = row
    return found


def latest_versions(conn: Connection, project_ids: list[int | None]) -> dict[int, Any]:
    """project id → the record JSON of its latest version."""
    v = t.project_versions
    found: dict[int, Any] = {}
    for chunk in chunks(project_ids):
        latest = sa.select(sa.func.max(v.c.id)).where(among(conn, v.c.project_id, chunk))
        latest = latest.group_by(v.c.project_id)
        for project_id, record in conn.execute(
            sa.select(v.c.project_id, v.c.record).where(v.c.id.in_(latest))
        ):
            found[project_id] = record
    return found
