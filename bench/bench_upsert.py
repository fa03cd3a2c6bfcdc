"""Upsert rates: 10,000 synthetic project records with child rows, SQLite and PostgreSQL.

On SQLite it also replays the statements the load sent, with their parameters, through the bare
driver into a fresh database: what the schema costs with no Python work of esfbank's at all
(hashing, validation, row building), i.e. the ceiling any loader in Python reaches here.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from load import schema as t
from load.pgserver import PostgresServer, PostgresUnavailableError
from load.store import LoadItem, open_store
from tests.plugins.db import synthetic_project

RECORDS = 10_000
# On SQLite: DESIGN.md asks ≥ 20,000 rows/s, the database issue ≥ 20,000 records/s.
TARGET_PER_S = 20_000
WRITTEN_TABLES = (t.projects, t.project_versions, t.project_municipalities, t.project_partners,
                  t.project_cofinanciers, t.organisations, t.url_state)  # fmt: skip
_COMMIT = "COMMIT"

Statement = tuple[str, Any, bool]  # SQL, parameters, executemany


def _rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return sum(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in WRITTEN_TABLES
        )


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _record_statements(engine: sa.Engine, into: list[Statement]) -> None:
    """Append every statement the engine sends, and each commit, to `into`."""

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        into.append((sql, params, many))

    @event.listens_for(engine, "commit")
    def _commit(_conn: Any) -> None:
        into.append((_COMMIT, (), False))


def _replay(path: Path, statements: list[Statement]) -> float:
    """Seconds the bare sqlite3 driver takes to run `statements` on the database at `path`,
    with the pragmas esfbank's engine sets on connecting (the writer's page cache is among the
    statements)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
        conn.execute(f"PRAGMA {pragma}")
    start = time.perf_counter()
    for sql, params, many in statements:
        (conn.executemany if many else conn.execute)(sql, params)
    conn.close()
    return time.perf_counter() - start


def measure(backend: str, url: str, items: list[LoadItem]) -> None:
    store = open_store(url)
    run_id = store.begin_run("bench")
    statements: list[Statement] = []
    _record_statements(store.engine, statements)
    load = _timed(lambda: store.upsert(items, run_id))
    loaded = len(statements)
    rows = _rows(store.engine)
    reload = _timed(lambda: store.upsert(items, store.begin_run("bench")))
    assert _rows(store.engine) == rows, "a no-change reload wrote content rows"
    store.close()
    rate = len(items) / load
    verdict = ""
    if backend == "sqlite":
        verdict = "  targets ≥ 20,000/s: " + ", ".join(
            f"{what} {'met' if value >= TARGET_PER_S else 'MISSED'}"
            for what, value in (("rows", rows / load), ("records", rate))
        )
    print(
        f"{backend:10} first load {load:6.2f} s  {rate:9,.0f} records/s  {rows / load:9,.0f} rows/s"
        f"  ({rows:,} rows){verdict}"
    )
    print(
        f"{backend:10} no-change reload {reload:6.2f} s  {len(items) / reload:9,.0f} records/s"
        f"  ({reload / load:.0%} of the first load)"
    )
    if backend == "sqlite":
        _print_driver_ceiling(url, statements[:loaded], len(items))


def _print_driver_ceiling(url: str, statements: list[Statement], records: int) -> None:
    path = Path(sa.make_url(url).database or "").with_name("replay.sqlite")
    fresh = open_store(f"sqlite:///{path}")
    fresh.begin_run("bench")  # the run the replayed rows refer to
    fresh.close()
    seconds = _replay(path, statements)
    print(
        f"{'sqlite':10} same statements through the bare driver {seconds:6.2f} s"
        f"  {records / seconds:9,.0f} records/s  (the ceiling: no esfbank code runs)"
    )


def main() -> None:
    items = [LoadItem(record=synthetic_project(i)) for i in range(RECORDS)]
    with tempfile.TemporaryDirectory() as folder:
        measure("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", items)
    try:
        with PostgresServer() as server:
            measure("postgresql", server.url, items)
    except PostgresUnavailableError as exc:
        print(f"postgresql skipped: {exc}")


if __name__ == "__main__":
    main()
