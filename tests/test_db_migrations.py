"""Alembic owns the schema: the migrations build exactly the tables load/schema.py describes,
and `esfbank db upgrade` applies them (and says so in one line when it cannot)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from esfbank.cli import main
from load import frozen, search
from load.engine import create_engine, schema_change, writer
from load.migrate import alembic_config, current_revision, head_revision, upgrade
from load.schema import STATEMENT_CHECKED_KEYS, metadata, municipalities
from load.store import LoadItem, open_store
from load.views import VIEWS, View
from tests.plugins.db import BACKENDS, FreshDb, synthetic_project


def test_models_and_migrations_agree(fresh_db: FreshDb) -> None:
    """The one difference: on PostgreSQL the statement-checked foreign keys are triggers, not
    constraints (migration 0010), so the metadata has constraints the database lacks."""
    with fresh_db.engine.connect() as conn:
        opts = {"compare_type": True, "include_name": search.outside_schema}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, metadata)
    missing = {(d[1].table.name, d[1].column_keys[0]) for d in diff if d[0] == "add_fk"}
    assert [d for d in diff if d[0] != "add_fk"] == []
    assert missing == (STATEMENT_CHECKED_KEYS if fresh_db.backend == "postgresql" else set())


@pytest.mark.postgres
def test_every_statement_checked_key_has_its_triggers(
    migrated_db_url: Callable[[str], str],
) -> None:
    """Each foreign key the constraint was dropped for is checked on both sides, every event."""
    engine = create_engine(migrated_db_url("postgresql"))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal"
        )
        triggers = {(table, name) for table, name in rows}
    engine.dispose()
    keys = [
        (table.name, fk.name, fk.referred_table.name)
        for table in metadata.tables.values()
        for fk in table.foreign_key_constraints
        if (table.name, fk.column_keys[0]) in STATEMENT_CHECKED_KEYS
    ]
    assert len(keys) == len(STATEMENT_CHECKED_KEYS)
    expected = {
        (table, f"{name}_{suffix}")
        for child, name, parent in keys
        for table, suffixes in ((child, "iu"), (parent, "dkt"))
        for suffix in suffixes
    }
    assert expected <= triggers


def test_the_database_is_at_the_head_revision(fresh_db: FreshDb) -> None:
    assert current_revision(fresh_db.engine) == head_revision()


def test_db_upgrade_creates_the_schema_and_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    assert f"at revision {head_revision()} (was empty)" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", url]) == 0
    assert f"(was {head_revision()})" in capsys.readouterr().out
    engine = create_engine(url)
    assert "projects" in sa.inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize(
    "url",
    ["sqlite:///no/such/folder/x.sqlite", "postgresql+psycopg://u:secret@127.0.0.1:1/x", "nope://"],
)
def test_db_upgrade_with_a_bad_url_is_one_line_and_exit_2(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--db", url]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("esfbank db: error: database ")
    assert "secret" not in err


def test_a_database_from_a_newer_esfbank_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    engine.dispose()
    capsys.readouterr()
    assert main(["db", "upgrade", "--db", url]) == 2
    assert main(["load", str(tmp_path), "--db", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert all("9999_future" in line for line in err)


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_go_down_to_nothing_and_up_again(
    backend: str, migrated_db_url: Callable[[str], str]
) -> None:
    engine = create_engine(migrated_db_url(backend))
    with writer(engine).begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(municipalities)).scalar() == 290
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_redirected_to_comes_and_goes_with_the_url_state_rows_kept(
    backend: str, migrated_db_url: Callable[[str], str]
) -> None:
    """Revision 0004 adds url_state.redirected_to (a table rebuild on SQLite): the rows, and
    the projects they carry, come through both ways; old rows answered themselves (NULL)."""
    url = migrated_db_url(backend)
    store = open_store(url)
    store.upsert([LoadItem(record=synthetic_project(i)) for i in range(3)], store.begin_run("load"))
    store.close()
    engine = create_engine(url)
    rows = "SELECT url, project_id FROM url_state ORDER BY url"
    with engine.connect() as conn:
        before = conn.execute(sa.text(rows)).all()
    assert len(before) == 3

    with schema_change(engine) as conn:
        command.downgrade(alembic_config(conn), "0003_resolution")
    assert "redirected_to" not in {c["name"] for c in sa.inspect(engine).get_columns("url_state")}
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text(rows)).all() == before
        assert (
            conn.execute(sa.text("SELECT redirected_to FROM url_state")).scalars().all()
            == [None] * 3
        )
    engine.dispose()


@pytest.mark.postgres
def test_long_values_compress_with_lz4_on_postgresql_and_with_pglz_after_a_downgrade(
    migrated_db_url: Callable[[str], str],
) -> None:
    """Revision 0011: the pages' long values (sections, records, bodies, tsvectors) are
    compressed with lz4, the server's Debian build having it; a page long enough to be
    compressed reads back whole."""
    url = migrated_db_url("postgresql")
    engine = create_engine(url)
    compressed = (
        "SELECT c.relname || '.' || a.attname, a.attcompression FROM pg_attribute a"
        " JOIN pg_class c ON c.oid = a.attrelid"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"
        " AND a.attcompression <> ''"
    )
    with engine.connect() as conn:
        assert dict(conn.exec_driver_sql(compressed).all()) == dict.fromkeys(
            (
                "projects.sections",
                "project_versions.record",
                "project_versions.changed",
                "news_articles.body",
                "search_projects.document",
                "search_news.document",
            ),
            "l",
        )
    long_sections = {"Sammanfattning": "Arbete med unga i Malmö. " * 400}
    store = open_store(url)
    store.upsert(
        [LoadItem(record=synthetic_project(1, sections=long_sections))], store.begin_run("load")
    )
    store.close()
    with engine.connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT pg_column_compression(sections) FROM projects"
        ).one() == ("lz4",)
        assert conn.exec_driver_sql("SELECT sections FROM projects").scalar_one() == long_sections
    with schema_change(engine) as conn:
        command.downgrade(alembic_config(conn), "0010_statement_fks")
    with engine.connect() as conn:
        assert conn.exec_driver_sql(compressed).all() == []
    upgrade(engine)
    engine.dispose()


def test_the_migrations_build_the_views_the_code_describes() -> None:
    """The newest frozen SQL of every view (load/frozen.py) is what load/views.py compiles now,
    on both backends: a view changed without a migration fails here."""
    assert frozen.drifted() == [], (
        "views changed in load/views.py without a migration: "
        "`alembic -c load/alembic.ini revision --autogenerate` writes one (CONTRIBUTING.md)"
    )


def _view_columns(engine: sa.Engine) -> dict[str, list[str]]:
    inspector = sa.inspect(engine)
    return {v: [c["name"] for c in inspector.get_columns(v)] for v in inspector.get_view_names()}


def test_the_migrated_views_have_the_codes_columns(fresh_db: FreshDb) -> None:
    assert _view_columns(fresh_db.engine) == {
        name: [c.name for c in view.table().columns] for name, view in VIEWS.items()
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_view_changed_in_the_code_leaves_the_migrations_as_they_were(
    backend: str, migrated_db_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migrations hold their views' SQL: with v_projects changed in the code to read a column
    no migration has made yet (as a view reading a later revision's column does), an empty
    database still upgrades (down to nothing and up again, on both backends) to the views the
    migrations describe, and the drift check names the view that needs a migration."""
    engine = create_engine(migrated_db_url(backend))
    before = _view_columns(engine)
    original = VIEWS["v_projects"]

    def changed(dialect: str) -> sa.SelectBase:
        select = original.build(dialect)
        assert isinstance(select, sa.Select)
        return select.add_columns(sa.literal_column("projects.added_later"))

    monkeypatch.setitem(VIEWS, "v_projects", View("v_projects", original.description, changed))
    assert frozen.drifted() == ["v_projects"]
    with writer(engine).begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _view_columns(engine) == before
    engine.dispose()
