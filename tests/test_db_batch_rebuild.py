"""Migrations may rebuild tables on SQLite (Alembic batch mode) with the views and the rows that
refer to them in place: `schema_change` makes that work, and the table's data, its views and
its foreign keys come through."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from load import schema as t
from load.engine import SchemaChangeError, create_engine, schema_change, writer
from load.migrate import alembic_config, current_revision, head_revision, upgrade
from load.store import LoadItem, open_store
from tests.plugins.db import BACKENDS, synthetic_project

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(migrated_db_url: Callable[[str], str]) -> Iterator[sa.Engine]:
    created = create_engine(migrated_db_url("sqlite"))
    yield created
    created.dispose()


def load_projects(engine: sa.Engine, count: int) -> None:
    store = open_store(engine.url.render_as_string(hide_password=False))
    run = store.begin_run("load")
    store.upsert([LoadItem(record=synthetic_project(i)) for i in range(count)], run)
    store.close()


def rebuild_projects(conn: sa.Connection) -> None:
    """What a future migration altering `projects` does on SQLite: copy, drop, rename."""
    operations = Operations(MigrationContext.configure(conn))
    with operations.batch_alter_table("projects", recreate="always") as batch:
        batch.add_column(sa.Column("note", sa.Text))


def snapshot(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in ("projects", "project_municipalities", "url_state", "v_projects")
        }


@pytest.mark.parametrize(
    ("projects", "failure"),
    [(0, r"error in view v_\w+: no such table"), (3, "FOREIGN KEY constraint failed")],
    ids=["views", "views and rows referring to projects"],
)
def test_a_plain_transaction_cannot_rebuild_a_table_a_view_reads(
    engine: sa.Engine, projects: int, failure: str
) -> None:
    """The failures `schema_change` exists for."""
    load_projects(engine, projects)
    before = snapshot(engine)
    with pytest.raises(sa.exc.DBAPIError, match=failure), writer(engine).begin() as conn:
        rebuild_projects(conn)
    assert snapshot(engine) == before


def test_schema_change_rebuilds_projects_with_views_and_references_in_place(
    engine: sa.Engine,
) -> None:
    load_projects(engine, 3)
    before = snapshot(engine)
    with schema_change(engine) as conn:
        rebuild_projects(conn)
    expected = {"projects": 3, "project_municipalities": 9, "url_state": 3, "v_projects": 3}
    assert snapshot(engine) == before == expected
    assert "note" in {c["name"] for c in sa.inspect(engine).get_columns("projects")}
    with engine.connect() as conn:  # foreign keys are on again and enforced
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA legacy_alter_table").scalar_one() == 0
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.insert(t.project_partners).values(project_id=999, position=0, name="X"))


def test_a_migration_that_leaves_dangling_rows_is_rolled_back(engine: sa.Engine) -> None:
    load_projects(engine, 2)
    before = snapshot(engine)
    refused = pytest.raises(SchemaChangeError, match="referring to missing rows")
    with refused, schema_change(engine) as conn:
        conn.execute(sa.delete(t.projects))
    assert snapshot(engine) == before


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_a_database_with_parse_errors_keeps_them_open(
    backend: str, migrated_db_url: Callable[[str], str]
) -> None:
    """Revision 0003 rebuilds parse_errors on SQLite; the errors recorded before it stay."""
    engine = create_engine(migrated_db_url(backend))
    with schema_change(engine) as conn:
        command.downgrade(alembic_config(conn), "0002_views")
    with writer(engine).begin() as conn:
        run = conn.execute(
            sa.insert(t.crawl_runs).returning(t.crawl_runs.c.id),
            {"kind": "crawl", "status": "ok", "started_at": NOW},
        ).scalar_one()
        conn.execute(
            sa.insert(t.parse_errors),
            {"fingerprint": "f", "run_id": run, "message": "timeout", "created_at": NOW},
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.parse_errors)).mappings().one()
    assert (row["message"], row["resolved_at"], row["resolved_run_id"]) == ("timeout", None, None)
    engine.dispose()
