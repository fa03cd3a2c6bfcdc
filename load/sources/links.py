"""Linking the pages' projects to the rows of other sources (`project_links`).

Each current project gets at most one link per source, and a source row at most one project:
1. by project number: the export's number; Kohesio's number inside Operation_Local_Identifier
   (only ESF and ESF+ operations are linked; other funds are kept but never linked);
2. else, between the projects and rows left, by org number + folded title + start date, all
   three stated and equal.
Candidates that are not one-to-one (two operations with one number, two projects with one
org number, title and start date) are not linked: they are returned as ambiguities, for the
import and the report to show. `refresh` runs after every import and every run (Store.finish_run).

Memory stays bounded by the number of projects: source rows are streamed, and only those that
could match a project are kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t

KOHESIO = "kohesio"
ESF_EXPORT = "esf_export"
SOURCES = (KOHESIO, ESF_EXPORT)
BY_NUMBER = "project_number"
BY_IDENTITY = "org_number+title+start_date"
LINKED_FUNDS = frozenset({"ESF", "ESF+"})
_NOT_WORD = re.compile(r"[\W_]+")

Identity = tuple[str, str, dt.date]


@dataclass(frozen=True, slots=True, order=True)
class Link:
    project_id: int
    source: str
    external_id: str
    matched_on: str


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """Candidates left unlinked because they are not one to one."""

    source: str
    matched_on: str
    key: str
    project_ids: tuple[int, ...]
    external_ids: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"{self.source}: {len(self.external_ids)} row(s) {', '.join(self.external_ids)} and "
            f"{len(self.project_ids)} project(s) share {self.matched_on} {self.key}: not linked"
        )


@dataclass(frozen=True, slots=True)
class Plan:
    links: tuple[Link, ...]
    ambiguities: tuple[Ambiguity, ...]


def fold_title(title: str | None) -> str | None:
    """A title as matched: case, spacing and punctuation folded."""
    if title is None:
        return None
    return _NOT_WORD.sub(" ", title.casefold()).strip() or None


def identity(org: str | None, title: str | None, start: dt.date | None) -> Identity | None:
    folded = fold_title(title)
    if org is None or folded is None or start is None:
        return None
    return (org, folded, start)


@dataclass(slots=True)
class _Projects:
    by_number: dict[str, int]
    by_identity: dict[Identity, list[int]]


def _projects(conn: Connection) -> _Projects:
    p = t.projects.c
    query = sa.select(p.id, p.project_number, p.owner_org_number, p.title, p.start_date).where(
        p.removed_at.is_(None)
    )
    found = _Projects({}, defaultdict(list))
    for project_id, number, org, title, start in conn.execute(query):
        if number is not None:
            found.by_number[number] = project_id
        key = identity(org, title, start)
        if key is not None:
            found.by_identity[key].append(project_id)
    return found


def _source_rows(
    conn: Connection, source: str
) -> Iterator[tuple[str, str | None, Identity | None]]:
    """(external id, project number, identity) of the source's current, linkable rows."""
    if source == KOHESIO:
        k = t.kohesio_operations.c
        query = sa.select(
            k.external_id,
            k.project_number,
            k.beneficiary_org_number,
            k.name,
            k.start_date,
            k.fund_code,
        ).where(k.dropped_at.is_(None))
    else:
        e = t.esf_export_projects.c
        query = sa.select(
            e.project_number,
            e.project_number,
            e.owner_org_number,
            e.title,
            e.start_date,
            sa.null(),
        ).where(e.dropped_at.is_(None))
    streamed = conn.execute(query, execution_options={"yield_per": 5000})
    for external_id, number, org, title, start, fund in streamed:
        if source == KOHESIO and (fund or "").replace(" ", "").upper() not in LINKED_FUNDS:
            continue
        yield external_id, number, identity(org, title, start)


def plan(conn: Connection) -> Plan:
    """The links every source should have now, and the ambiguities left out."""
    projects = _projects(conn)
    links: list[Link] = []
    ambiguities: list[Ambiguity] = []
    for source in SOURCES:
        found, unclear = _match(projects, _source_rows(conn, source), source)
        links += found
        ambiguities += unclear
    return Plan(tuple(sorted(links)), tuple(ambiguities))


def _match(
    projects: _Projects,
    rows: Iterable[tuple[str, str | None, Identity | None]],
    source: str,
) -> tuple[list[Link], list[Ambiguity]]:
    by_number: dict[str, list[str]] = defaultdict(list)
    by_identity: dict[Identity, list[str]] = defaultdict(list)
    for external_id, number, key in rows:
        if number is not None and number in projects.by_number:
            by_number[number].append(external_id)
        elif key is not None and key in projects.by_identity:
            by_identity[key].append(external_id)
    links: list[Link] = []
    unclear: list[Ambiguity] = []
    taken: set[int] = set()
    for number, external_ids in sorted(by_number.items()):
        project_id = projects.by_number[number]
        taken.add(project_id)
        if len(external_ids) == 1:
            links.append(Link(project_id, source, external_ids[0], BY_NUMBER))
        else:
            unclear.append(
                Ambiguity(source, BY_NUMBER, number, (project_id,), tuple(sorted(external_ids)))
            )
    for key, external_ids in sorted(by_identity.items()):
        project_ids = [p for p in projects.by_identity[key] if p not in taken]
        if not project_ids:
            continue
        if len(project_ids) == 1 and len(external_ids) == 1:
            links.append(Link(project_ids[0], source, external_ids[0], BY_IDENTITY))
        else:
            shown = f"{key[0]} / {key[1]!r} / {key[2].isoformat()}"
            unclear.append(
                Ambiguity(
                    source,
                    BY_IDENTITY,
                    shown,
                    tuple(sorted(project_ids)),
                    tuple(sorted(external_ids)),
                )
            )
    return links, unclear


def _has_rows(conn: Connection) -> bool:
    tables = (t.project_links, t.kohesio_operations, t.esf_export_projects)
    return any(
        conn.execute(sa.select(sa.literal(1)).select_from(x).limit(1)).first() for x in tables
    )


def refresh(conn: Connection) -> Plan | None:
    """Bring project_links in line with the plan, writing only the difference. None (and no
    work) when no source was ever imported."""
    if not _has_rows(conn):
        return None
    wanted = plan(conn)
    pl = t.project_links
    stored = {
        Link(*row)
        for row in conn.execute(
            sa.select(pl.c.project_id, pl.c.source, pl.c.external_id, pl.c.matched_on)
        )
    }
    target = set(wanted.links)
    stale = stored - target
    if stale:
        conn.execute(
            sa.delete(pl).where(
                pl.c.project_id == sa.bindparam("b_project"),
                pl.c.source == sa.bindparam("b_source"),
            ),
            [{"b_project": s.project_id, "b_source": s.source} for s in stale],
        )
    fresh = sorted(target - stored)
    if fresh:
        conn.execute(
            sa.insert(pl),
            [
                {
                    "project_id": f.project_id,
                    "source": f.source,
                    "external_id": f.external_id,
                    "matched_on": f.matched_on,
                }
                for f in fresh
            ],
        )
    return wanted
