"""Database fixtures: every database test runs on SQLite and on a real PostgreSQL server.

`fresh_db` (function scope, parametrised `sqlite` / `postgresql`) gives each test an empty
database built through the Alembic migrations: a `FreshDb` with `.url`, `.backend` and an
`.engine` (disposed after the test). Use it as `def test_x(fresh_db): ...`.

For other tests that need a migrated database URL of a chosen backend, request
`migrated_db_url` and call it: `url = migrated_db_url("sqlite")` or `("postgresql")`; each call
gives a new, empty, migrated database.

PostgreSQL: `ESFBANK_TEST_PG_URL` (an admin URL; databases are created in that server) when
set, else a throwaway server started once per session with initdb + pg_ctl on 127.0.0.1
(load/pgserver.py) and stopped at the end. When no server can be had, PostgreSQL tests skip
with the reason, or fail when CI=true. Migrating is done once per backend into a template (a
file copied, or a `CREATE DATABASE … TEMPLATE`), so a fresh database costs milliseconds.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from load.engine import create_engine
from load.migrate import upgrade
from load.pgserver import PostgresServer, PostgresUnavailableError

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))
_counter = itertools.count()


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
    url = _databases.new(backend, request)
    engine = create_engine(url)
    yield FreshDb(backend=backend, url=url, engine=engine)
    engine.dispose()
