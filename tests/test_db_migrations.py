"""Alembic owns the schema: the migrations build exactly the tables load/schema.py describes,
and `esfbank db upgrade` applies them (and says so in one line when it cannot)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from esfbank.cli import main
from load.engine import create_engine
from load.migrate import current_revision, head_revision
from load.schema import metadata
from tests.plugins.db import FreshDb


def test_models_and_migrations_agree(fresh_db: FreshDb) -> None:
    with fresh_db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


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
