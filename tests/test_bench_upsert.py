"""bench_upsert: PostgreSQL runs start from the same server state, one run after another; the
first loads and the real-text check."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.bench_upsert import Timing, _database, _new_files, first_loads, print_real_text_check
from load import schema as t
from load.store import LoadItem
from tests.plugins.db import synthetic_project


def _last_checkpoint(admin_url: str) -> str:
    """Where the server's latest checkpoint began (pg_control is written before CHECKPOINT
    returns, unlike the statistics views)."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            query = "SELECT checkpoint_lsn::text FROM pg_control_checkpoint()"
            return str(conn.exec_driver_sql(query).scalar_one())
    finally:
        engine.dispose()


def test_each_run_s_database_comes_after_a_checkpoint(pg_admin_url: str) -> None:
    """The first loads of five runs took 0.53 s to 0.74 s, slower each run: each paid for the
    earlier runs' writes still in the server's buffers."""
    before = _last_checkpoint(pg_admin_url)
    url = _database(pg_admin_url, 901)
    try:
        assert _last_checkpoint(pg_admin_url) != before
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT current_database()").scalar_one() == (
                "bench_upsert_901"
            )
        engine.dispose()
    finally:
        admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE bench_upsert_901")
        admin.dispose()


def test_first_loads_each_go_into_a_new_database_and_the_last_stays_open(tmp_path: Path) -> None:
    items = [LoadItem(record=synthetic_project(i)) for i in range(3)]
    timings, store, url = first_loads(_new_files(str(tmp_path)), items, 2)
    try:
        assert len(timings) == 2
        assert url.endswith("bench1.sqlite")
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(t.projects)).scalar() == 3
    finally:
        store.close()
    assert (tmp_path / "bench0.sqlite").exists()


def test_the_real_text_check_gives_both_times_and_postgresql_s_rate_over_sqlite_s(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_real_text_check(Timing(2.0, 1.9), Timing(2.5, 1.2))
    print_real_text_check(Timing(2.0, 1.9), None)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(
        "sqlite first load 2.00 s, postgresql 2.50 s:"
        " PostgreSQL's rate over SQLite's 0.800 (no target; watch it move)"
    )
    assert lines[1].endswith("sqlite first load 2.00 s")
