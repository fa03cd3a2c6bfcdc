"""A run killed mid-way (kill -9, a crash, its machine gone) does not stay `running` for ever:
every batch records the run's progress, and the next run, on any machine sharing the database,
closes runs silent for longer than the limit as `interrupted`; `esfbank report` shows them.
The store's clock stands in for time passing (no sleeps)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic import command

from esfbank.cli import main
from load import schema as t
from load.engine import create_engine, schema_change
from load.migrate import alembic_config, upgrade
from load.store import STALE_RUN_AFTER, LoadItem, RunCounts, Store, open_store
from tests.plugins.db import BACKENDS, FreshDb, synthetic_project

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)


class Clock:
    """A machine's clock, moved by hand."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def _runs(db: FreshDb) -> dict[int, tuple[str, dt.datetime | None, dt.datetime]]:
    c = t.crawl_runs.c
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(c.id, c.status, c.finished_at, c.last_progress_at))
        return {r.id: (r.status, r.finished_at, r.last_progress_at) for r in rows}


def _store(db: FreshDb, clock: Clock, **kwargs: dt.timedelta) -> Store:
    return open_store(db.url, upgrade=False, clock=clock, **kwargs)


def test_every_batch_records_the_runs_progress(fresh_db: FreshDb) -> None:
    clock = Clock()
    store = _store(fresh_db, clock)
    run = store.begin_run("crawl")
    assert _runs(fresh_db)[run] == ("running", None, T0)
    project = synthetic_project(1)
    url = project.source.url
    assert url is not None
    steps: list[Callable[[], object]] = [
        lambda: store.upsert([LoadItem(record=project)], run),
        lambda: store.touch_seen([url], run),
        lambda: store.mark_removed([url], run),
        lambda: store.quarantine(run, url=url, message="the page could not be read"),
    ]
    for minutes, step in enumerate(steps, start=1):
        clock.advance(minutes=7)
        step()
        assert _runs(fresh_db)[run] == ("running", None, T0 + dt.timedelta(minutes=7 * minutes))
    store.close()


def test_the_next_run_closes_silent_runs_of_any_machine_as_interrupted(fresh_db: FreshDb) -> None:
    here, there = Clock(), Clock()
    machine_a = _store(fresh_db, here)
    killed = machine_a.begin_run("crawl")
    here.advance(minutes=5)
    machine_a.upsert([LoadItem(record=synthetic_project(1))], killed)  # then kill -9
    finished = machine_a.begin_run("load")
    machine_a.finish_run(finished, "ok", RunCounts(new=1))
    slow = machine_a.begin_run("backfill")
    here.advance(minutes=45)
    machine_a.upsert([LoadItem(record=synthetic_project(2))], slow)  # alive, 50 min in
    machine_a.close()

    there.now = here.now + dt.timedelta(minutes=59)  # killed: silent 1 h 39 min; slow: 59 min
    machine_b = _store(fresh_db, there)
    new = machine_b.begin_run("crawl")
    machine_b.close()
    runs = _runs(fresh_db)
    assert runs[killed] == ("interrupted", T0 + dt.timedelta(minutes=5), runs[killed][2])
    assert runs[finished][0] == "ok"
    assert runs[slow][0] == "running"
    assert runs[new][0] == "running"


def test_the_limit_is_a_setting(fresh_db: FreshDb) -> None:
    clock = Clock()
    store = _store(fresh_db, clock, stale_after=dt.timedelta(minutes=10))
    killed = store.begin_run("crawl")
    clock.advance(minutes=11)
    store.begin_run("crawl")
    store.close()
    assert _runs(fresh_db)[killed][0] == "interrupted"
    assert dt.timedelta(hours=1) == STALE_RUN_AFTER


def test_the_limit_comes_from_the_environment(
    fresh_db: FreshDb, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("ESFBANK_STALE_RUN_MINUTES", "soon")
    page = tmp_path / "p.txt"
    page.write_text("x", encoding="utf-8")
    assert main(["load", str(page), "--db", fresh_db.url, "--archive", str(tmp_path)]) == 2
    assert "ESFBANK_STALE_RUN_MINUTES='soon'" in capsys.readouterr().err


def test_report_shows_runs_that_did_not_finish(fresh_db: FreshDb, capsys) -> None:
    clock = Clock()
    store = _store(fresh_db, clock)
    killed = store.begin_run("crawl")
    clock.advance(hours=2)
    later = store.begin_run("load")
    store.finish_run(later, "ok", RunCounts(new=1))
    store.close()
    main(["report", "--db", fresh_db.url])
    out = capsys.readouterr().out
    section = out[out.index("Runs that did not finish ok") :].split("\n\n")[0]
    assert f"run {killed}  crawl, interrupted, started {T0.isoformat()}" in section
    assert f"run {later} " not in section
    main(["report", "--db", fresh_db.url, "--format", "json"])
    unfinished = json.loads(capsys.readouterr().out)["unfinished_runs"]
    assert [(r["id"], r["status"]) for r in unfinished] == [(killed, "interrupted")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_0006_fills_last_progress_and_comes_and_goes(
    backend: str, migrated_db_url: Callable[[str], str]
) -> None:
    engine = create_engine(migrated_db_url(backend))
    with schema_change(engine) as conn:
        command.downgrade(alembic_config(conn), "0004_redirected_to")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("crawl_runs")}
    assert "last_progress_at" not in columns
    # crawl_runs as it was at revision 0004
    old_runs = sa.table(
        "crawl_runs",
        *(sa.column(name) for name in ("id", "kind", "status")),
        *(sa.column(name, t.Timestamp) for name in ("started_at", "finished_at")),
    )
    started, finished = T0, T0 + dt.timedelta(minutes=30)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(old_runs),
            [
                {"id": 1, "kind": "crawl", "status": "ok", "started_at": started,
                 "finished_at": finished},
                {"id": 2, "kind": "crawl", "status": "running", "started_at": started,
                 "finished_at": None},
            ],
        )  # fmt: skip
    upgrade(engine)
    with engine.connect() as conn:
        query = sa.select(t.crawl_runs.c.id, t.crawl_runs.c.last_progress_at)
        filled = {row.id: row.last_progress_at for row in conn.execute(query)}
    assert filled == {1: finished, 2: started}
    engine.dispose()
