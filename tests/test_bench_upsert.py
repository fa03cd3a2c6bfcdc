"""bench_upsert's PostgreSQL runs start from the same server state, one run after another."""

from __future__ import annotations

import sqlalchemy as sa

from bench.bench_upsert import _database


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
