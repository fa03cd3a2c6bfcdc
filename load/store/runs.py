"""crawl_runs: opening a run (closing the silent ones first), its progress, closing it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load.sources import links
from load.store.items import RunCounts

# A running run that wrote nothing for this long was killed (kill -9, a crash, its machine
# gone): the next run closes it as `interrupted`. Batches are written every few seconds.
STALE_RUN_AFTER = dt.timedelta(hours=1)


def begin(conn: Connection, kind: str, now: dt.datetime, stale_after: dt.timedelta) -> int:
    """Close the runs silent for longer than `stale_after` as `interrupted` (finished at their
    last progress), then open a `running` run of `kind`; returns its id."""
    c = t.crawl_runs.c
    conn.execute(
        sa.update(t.crawl_runs)
        .where(c.status == "running", c.last_progress_at < now - stale_after)
        .values(status="interrupted", finished_at=c.last_progress_at)
    )
    stmt = sa.insert(t.crawl_runs).returning(c.id)
    values = {"kind": kind, "status": "running", "started_at": now, "last_progress_at": now}
    run_id: int = conn.execute(stmt, values).scalar_one()
    return run_id


def finish(conn: Connection, run_id: int, status: str, counts: RunCounts, now: dt.datetime) -> None:
    """Close a run with its status and counts, and bring project_links in line with it."""
    values = {
        "status": status,
        "finished_at": now,
        "last_progress_at": now,
        "fetched": counts.fetched,
        "new": counts.new,
        "changed": counts.changed,
        "unchanged": counts.unchanged,
        "removed": counts.removed,
        "failed": counts.failed,
        "removals_withheld": counts.removals_withheld,
        "removal_refusal": counts.removal_refusal,
    }
    conn.execute(sa.update(t.crawl_runs).where(t.crawl_runs.c.id == run_id), values)
    links.refresh(conn)


def progress(conn: Connection, run_id: int, now: dt.datetime) -> None:
    """Record, inside a batch's transaction, that the run is alive and moving."""
    runs = t.crawl_runs
    conn.execute(sa.update(runs).where(runs.c.id == run_id).values(last_progress_at=now))
