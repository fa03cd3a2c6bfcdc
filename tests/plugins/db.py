"""Database fixtures: every database test runs on SQLite and on a real PostgreSQL server.

`fresh_db` (function scope, parametrised `sqlite` / `postgresql`) gives each test an empty
database built through the Alembic migrations: a `FreshDb` with `.url`, `.backend` and an
`.engine` (disposed after the test). Use it as `def test_x(fresh_db): ...`.

For other tests that need a migrated database URL of a chosen backend, request
`migrated_db_url` and call it: `url = migrated_db_url("sqlite")` or `("postgresql")`; each call
gives a new, empty, migrated database.

Helpers: `synthetic_project(i, **changes)` (a valid project record with child rows; also used by
bench/bench_upsert.py) and `table_snapshot(engine)` (every row of every table, by value).

PostgreSQL: `ESFBANK_TEST_PG_URL` (an admin URL; databases are created in that server) when
set, else a throwaway server started once per session with initdb + pg_ctl on 127.0.0.1
(load/pgserver.py) and stopped at the end. When no server can be had, PostgreSQL tests skip
with the reason, or fail when CI=true. Migrating is done once per backend: SQLite databases
are copies of a migrated template file; `fresh_db` on PostgreSQL reuses one migrated database
per session, emptied before each test (TRUNCATE … RESTART IDENTITY, reference tables kept),
because CREATE DATABASE costs half a second; `migrated_db_url("postgresql")` creates a new one
from the migrated template.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from stdnum import luhn

from load import reference
from load.engine import create_engine
from load.migrate import upgrade
from load.pgserver import PostgresServer, PostgresUnavailableError
from load.schema import metadata
from parsers.records import ProjectRecord, Source

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))
# Tables that record when and how a load ran rather than what was loaded.
BOOKKEEPING_TABLES = frozenset({"crawl_runs", "url_state"})
_KEPT_TABLES = frozenset({"alembic_version", "regions", "municipalities"})
_counter = itertools.count()
_REGIONS = [(row["name"], row["nuts2"]) for row in reference.regions()]
_MUNICIPALITIES = [row["name"] for row in reference.municipalities()]


def synthetic_project(i: int, **changes: Any) -> ProjectRecord:
    """A valid 2014–2020 project, number `2019/<i>`, with 3 municipalities, 2 partners and 1
    co-financier; `changes` override fields."""
    region, nuts2 = _REGIONS[i % len(_REGIONS)]
    org_digits = f"2120{i % 997:05d}"
    start = dt.date(2015, 1, 1) + dt.timedelta(days=i % 1500)
    fields: dict[str, Any] = {
        "source": Source(
            url=f"https://www.esf.se/resultat/projektbanken/projekt/?dnr=2019/{i:05d}"
        ),
        "programme_period": "2014-2020",
        "project_number": f"2019/{i:05d}",
        "title": f"Projekt nummer {i}",
        "owner": f"Organisation {i % 997}",
        "owner_org_number": f"{org_digits[:6]}-{org_digits[6:]}{luhn.calc_check_digit(org_digits)}",
        "region": region,
        "nuts2": nuts2,
        "programme_area": "2",
        "specific_objective": "2.1",
        "start_date": start,
        "end_date": start + dt.timedelta(days=700),
        "total_budget_sek": 1_000_000 + i,
        "granted_esf_sek": 500_000 + i,
        "eu_cofinancing_rate_pct": 40,
        "planned_participants": i % 300,
        "municipalities": tuple(_MUNICIPALITIES[(i + k) % len(_MUNICIPALITIES)] for k in range(3)),
        "partners": (f"Partner {i % 50}", f"Partner {(i + 1) % 50}"),
        "cofinanciers": (f"Medfinansiär {i % 20}",),
        "sections": {"Sammanfattning": f"Sammanfattning av projekt {i}.", "Syfte": "Arbete."},
    }
    fields.update(changes)
    return ProjectRecord(**fields)


def table_snapshot(
    engine: sa.Engine, exclude: frozenset[str] = BOOKKEEPING_TABLES
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but `exclude`, sorted, compared by value."""
    with engine.connect() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(sa.select(table))), key=repr)
            for table in metadata.sorted_tables
            if table.name not in exclude
        }


@dataclass(frozen=True, slots=True)
class FreshDb:
    backend: str
    url: str
    engine: sa.Engine


class _Databases:
    """Hands out empty migrated databases, cloned from one migrated template per backend."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None
        self._pg_admin: sa.Engine | None = None
        self._pg_reused: str | None = None

    def new(self, backend: str, request: pytest.FixtureRequest) -> str:
        if backend == "sqlite":
            return self._new_sqlite()
        if backend == "postgresql":
            return self._new_postgresql(request.getfixturevalue("pg_admin_url"))
        raise ValueError(f"unknown backend {backend!r}")

    def _new_sqlite(self) -> str:
        if self._sqlite_template is None:
            template = self._root / "template.sqlite"
            engine = create_engine(f"sqlite:///{template}")
            upgrade(engine)
            with engine.connect() as conn:  # fold the WAL into the file before copying it
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            self._sqlite_template = template
        path = self._root / f"db{next(_counter)}.sqlite"
        shutil.copyfile(self._sqlite_template, path)
        return f"sqlite:///{path}"

    def _new_postgresql(self, pg_admin_url: str) -> str:
        admin_url = sa.make_url(pg_admin_url)
        if self._pg_admin is None:
            self._pg_admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        if self._pg_template is None:
            name = f"esfbank_template_{os.getpid()}"
            self._create(name)
            engine = create_engine(admin_url.set(database=name).render_as_string(False))
            upgrade(engine)
            engine.dispose()
            self._pg_template = name
        name = f"esfbank_test_{os.getpid()}_{next(_counter)}"
        self._create(name, template=self._pg_template)
        return admin_url.set(database=name).render_as_string(hide_password=False)

    def reused(self, backend: str, request: pytest.FixtureRequest) -> str:
        """A migrated database emptied of all but reference data (new for SQLite: it is cheap)."""
        if backend != "postgresql":
            return self.new(backend, request)
        if self._pg_reused is None:
            self._pg_reused = self.new(backend, request)
        engine = sa.create_engine(self._pg_reused)
        with engine.begin() as conn:
            tables = conn.exec_driver_sql(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"
            ).scalars()
            emptied = [name for name in tables if name not in _KEPT_TABLES]
            conn.exec_driver_sql(f"TRUNCATE {', '.join(emptied)} RESTART IDENTITY CASCADE")
        engine.dispose()
        return self._pg_reused

    def _create(self, name: str, template: str | None = None) -> None:
        assert self._pg_admin is not None
        suffix = f" TEMPLATE {template}" if template else ""
        with self._pg_admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            conn.exec_driver_sql(f"CREATE DATABASE {name}{suffix}")

    def close(self) -> None:
        if self._pg_admin is not None:
            self._pg_admin.dispose()


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of a PostgreSQL server's admin database (skips, or fails with CI=true, without one)."""
    given = os.environ.get("ESFBANK_TEST_PG_URL")
    if given:
        yield given
        return
    server = PostgresServer()
    try:
        url = server.start()
    except PostgresUnavailableError as exc:
        reason = f"PostgreSQL not available: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Databases]:
    databases = _Databases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.close()


@pytest.fixture
def migrated_db_url(_databases: _Databases, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """`migrated_db_url("sqlite" | "postgresql")` → URL of a new, empty, migrated database."""
    return lambda backend: _databases.new(backend, request)


@pytest.fixture(params=BACKENDS)
def fresh_db(request: pytest.FixtureRequest, _databases: _Databases) -> Iterator[FreshDb]:
    """An empty migrated database, once on SQLite and once on PostgreSQL."""
    backend: str = request.param
    url = _databases.reused(backend, request)
    engine = create_engine(url)
    yield FreshDb(backend=backend, url=url, engine=engine)
    engine.dispose()
