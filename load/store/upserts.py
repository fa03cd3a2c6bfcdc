"""Upserts and versions: projects and news against what is stored (new, changed, unchanged,
returning), their owners in organisations, a project_versions row per new or changed
project, and the news→project links that follow them. The pages written are handed back for
the search index, which the store writes last (see `Store._write`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Generic, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load.bulk import allocate_ids, insert_rows, insert_tuples, upsert_tuples
from load.rows import NEWS_COLUMNS, PROJECT_COLUMNS, changed_fields
from load.store import children
from load.store.items import UpsertCounts
from load.store.plan import Plan, Unit
from load.store.sql import among, chunks, first
from parsers.records import NewsRecord, ProjectRecord

_STAMPS = ("first_seen_at", "last_changed_at", "removed_at")
# project_versions' columns, in the order of the rows `write_projects` makes.
_VERSIONS = ("project_id", "run_id", "seen_at", "content_hash", "record", "change", "changed")
_NEW = ("new", None)  # a project version's `change` and `changed` without a previous version
_R = TypeVar("_R", ProjectRecord, NewsRecord)


@dataclass(slots=True)
class Sorted:
    """A batch's units against what is stored: new, changed, unchanged but flagged removed
    (returning), and unchanged but met under a URL that sorts before the stored one."""

    new: list[Unit]
    changed: list[Unit]
    returning: list[Unit]
    relinked: list[Unit]


@dataclass(frozen=True, slots=True)
class Written(Generic[_R]):
    """The pages a batch wrote, for the search index: (id, record) of each, and the ids among
    them stored before (changed), whose old index entries go."""

    pages: list[tuple[int, _R]]
    replaced: list[int]


def sort_projects(conn: Connection, plan: Plan) -> Sorted:
    """The batch's projects against what is stored (`sort_out`)."""
    return sort_out(conn, t.projects, t.projects.c.project_key, plan.projects, plan.counts)


def sort_news(conn: Connection, plan: Plan) -> Sorted:
    """The batch's news articles against what is stored (`sort_out`)."""
    n = t.news_articles
    return sort_out(conn, n, n.c.article_key, plan.news, plan.counts)


def to_write(sorted_out: Sorted) -> list[ProjectRecord | NewsRecord]:
    """The records `write_projects` or `write_news` writes, in the order of its `pages`."""
    records = [u.item.record for u in sorted_out.new + sorted_out.changed]
    assert all(isinstance(r, ProjectRecord | NewsRecord) for r in records)
    return cast(list[ProjectRecord | NewsRecord], records)


def write_projects(
    conn: Connection,
    sorted_out: Sorted,
    run_id: int,
    now: dt.datetime,
    kommunkod: children.Kommunkoder,
) -> Written[ProjectRecord]:
    """Write the batch's projects, sorted out (`sort_projects`). The statements whose results
    are needed (new ids, previous versions) go first; then the writes, which PostgreSQL takes
    one after the other while the rows of the next are made (load/pgsend.py)."""
    p = t.projects
    written = sorted_out.new + sorted_out.changed
    records = _projects(written)
    assign_ids(conn, p, sorted_out.new)
    previous = latest_versions(conn, [u.id for u in sorted_out.changed])
    orgs: dict[str, str | None] = {}  # before the projects that refer to them
    for record in records:
        number, name = record.owner_org_number, record.owner
        if number is not None:  # `first` only for a number met before: a call per project
            orgs[number] = first(orgs[number], name) if number in orgs else name
    if orgs:
        # The alphabetically first spelling wins, compared by code point as Python's min().
        binary = 'COLLATE "C"' if conn.dialect.name == "postgresql" else "COLLATE BINARY"
        upsert_tuples(
            conn,
            t.organisations,
            ("org_number", "name"),
            list(orgs.items()),  # a batch has about as many owners as projects: no dict each
            key="org_number",
            update_when=f"organisations.name IS NULL"
            f" OR excluded.name {binary} < organisations.name {binary}",
        )
    write_sorted(
        conn,
        p,
        sorted_out,
        now,
        key_name="project_key",
        columns=PROJECT_COLUMNS,
        child_tables=children.TABLES,
        child_key="project_id",
    )
    projects = list(zip(_ids(written), records, strict=True))
    if written:
        # A first load has no previous versions: no look-up per project.
        changes = [_change(previous, u) for u in written] if previous else repeat(_NEW)
        versions = [
            (u.id, run_id, now, u.prepared.hash, u.prepared.stored_json, *change)
            for u, change in zip(written, changes, strict=False)  # `repeat` is endless
        ]
        insert_tuples(conn, t.project_versions, _VERSIONS, versions)
        children.write(conn, projects, kommunkod)
    return Written(projects, _ids(sorted_out.changed))


def write_news(conn: Connection, sorted_out: Sorted, now: dt.datetime) -> Written[NewsRecord]:
    """Write the batch's news articles, sorted out (`sort_news`), and their links to projects
    (as `write_projects`)."""
    n, links = t.news_articles, t.news_project_links
    assign_ids(conn, n, sorted_out.new)
    write_sorted(
        conn,
        n,
        sorted_out,
        now,
        key_name="article_key",
        columns=NEWS_COLUMNS,
        child_tables=(links,),
        child_key="news_id",
    )
    written = [(_id(u), u.item.record) for u in sorted_out.new + sorted_out.changed]
    news = [(i, record) for i, record in written if isinstance(record, NewsRecord)]
    link_rows = [
        {"news_id": news_id, "project_number": number}
        for news_id, record in news
        for number in dict.fromkeys(record.mentioned_project_numbers)
    ]
    insert_rows(conn, links, link_rows)
    return Written(news, _ids(sorted_out.changed))


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
        unit.source_url = first(known.source_url, unit.source_url)
        if known.content_hash != unit.prepared.hash:
            result.changed.append(unit)
            continue
        if known.removed_at is not None:
            result.returning.append(unit)
        if unit.source_url != known.source_url:
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
    columns: Sequence[str],
    child_tables: Sequence[sa.Table],
    child_key: str,
) -> None:
    """Insert the new rows (their ids assigned by `assign_ids`), update the changed ones and
    drop their child rows (the caller writes them afresh), and un-flag the unchanged ones that
    came back. `columns` name the units' `prepared.values`."""
    if sorted_out.new:
        # Tuples, not a dict per row: a project's row has some forty columns. (A no-change
        # reload never gets here: its units are all sorted out as known.)
        names = ("id", "source_url", *columns, key_name, "content_hash", *_STAMPS)
        stamps = (now, now, None)
        rows = [
            (u.id, u.source_url, *u.prepared.values, u.prepared.key, u.prepared.hash, *stamps)
            for u in sorted_out.new
        ]
        insert_tuples(conn, table, names, rows)
    if sorted_out.changed:
        changed = [
            {
                **dict(zip(columns, u.prepared.values, strict=True)),
                "source_url": u.source_url,
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
            [{"target_id": u.id, "source_url": u.source_url} for u in sorted_out.relinked],
        )


def assign_ids(conn: Connection, table: sa.Table, new: list[Unit]) -> None:
    """Give the new units their ids in `table`."""
    if new:
        for unit, new_id in zip(new, allocate_ids(conn, table, len(new)), strict=True):
            unit.id = new_id


def _change(previous: Mapping[int, Any], unit: Unit) -> tuple[str, dict[str, Any] | None]:
    """A project version's `change` and `changed`: new, or the fields changed since the
    record of its `previous` version."""
    record = previous.get(_id(unit))
    if record is None:
        return _NEW
    return "changed", changed_fields(record, json.loads(unit.prepared.content_json))


def _projects(units: list[Unit]) -> list[ProjectRecord]:
    """The records of project units, checked in one pass in C (a function call per unit to
    check each cost more than making its version row)."""
    records = [u.item.record for u in units]
    assert all(map(isinstance, records, repeat(ProjectRecord)))
    return cast(list[ProjectRecord], records)


def _ids(units: list[Unit]) -> list[int]:
    """The ids of units written, checked in one pass in C (see `_projects`)."""
    ids = [u.id for u in units]
    assert None not in ids
    return cast(list[int], ids)


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
