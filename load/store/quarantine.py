"""parse_errors: problems quarantined once each (by fingerprint), resolved when fixed."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load.store.sql import among, chunks, insert
from load.validate import Violation


def fingerprint(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()


def violation_row(
    problem: Violation,
    run_id: int,
    now: dt.datetime,
    *,
    url: str | None,
    path: str | None,
    archive_key: str | None,
) -> dict[str, Any]:
    """The parse_errors row of a record's problem (its fingerprint is its key)."""
    digest = fingerprint(url, path, problem.field, problem.label, problem.value, problem.message)
    return {
        "fingerprint": digest,
        "run_id": run_id,
        "source_url": url,
        "source_path": path,
        "archive_key": archive_key,
        "field": problem.field,
        "label": problem.label,
        "value": problem.value,
        "message": problem.message,
        "created_at": now,
    }


def page_row(
    run_id: int,
    now: dt.datetime,
    *,
    message: str,
    url: str | None,
    path: str | None,
    archive_key: str | None,
) -> dict[str, Any]:
    """The parse_errors row of a page that failed before it became a record."""
    return {
        "fingerprint": fingerprint(url, path, None, None, None, message),
        "run_id": run_id,
        "source_url": url,
        "source_path": path,
        "archive_key": archive_key,
        "message": message,
        "created_at": now,
    }


def resolve_errors(
    conn: Connection, urls: Iterable[str], paths: Iterable[str], run_id: int, now: dt.datetime
) -> None:
    """Resolve the open parse errors of a batch's pages. Those the batch raises again are
    re-opened right after by `record_errors`, so what stays resolved is what was fixed."""
    pe = t.parse_errors
    resolve = sa.update(pe).values(resolved_at=now, resolved_run_id=run_id)
    for column, sources, only in (
        (pe.c.source_url, urls, sa.true()),
        (pe.c.source_path, paths, pe.c.source_url.is_(None)),
    ):
        for chunk in chunks(sorted(sources)):
            conn.execute(
                resolve.where(among(conn, column, chunk), only, pe.c.resolved_at.is_(None))
            )


def record_errors(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Quarantine problems, each once (by fingerprint); one seen again is open again."""
    if not rows:
        return
    pe = t.parse_errors
    stmt = insert(conn, pe)
    stmt = stmt.on_conflict_do_update(
        index_elements=[pe.c.fingerprint],
        set_={"resolved_at": None, "resolved_run_id": None},
        where=pe.c.resolved_at.is_not(None),
    )
    conn.execute(stmt, rows)
