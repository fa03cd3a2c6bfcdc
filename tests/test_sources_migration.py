"""Revision 0007_sources goes down and up again: the source tables come and go, v_projects
loses and regains kohesio_id, and the pages' projects stay."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic import command

from load.engine import create_engine, schema_change
from load.migrate import alembic_config, upgrade
from tests.plugins.db import BACKENDS
from tests.test_sources import import_all, load_pages

SOURCE_TABLES = {"esf_export_projects", "kohesio_operations", "project_links"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_sources_revision_goes_down_and_up_again(
    backend: str, migrated_db_url: Callable[[str], str]
) -> None:
    url = migrated_db_url(backend)
    load_pages(url)
    import_all(url)
    engine = create_engine(url)
    try:
        with schema_change(engine) as conn:
            command.downgrade(alembic_config(conn), "0004_redirected_to")
        inspector = sa.inspect(engine)
        assert not SOURCE_TABLES & set(inspector.get_table_names())
        assert "kohesio_id" not in {c["name"] for c in inspector.get_columns("v_projects")}
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM v_projects")) == 8
        upgrade(engine)
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) >= SOURCE_TABLES
        assert {"v_project_links", "v_source_disagreements"} <= set(inspector.get_view_names())
        assert "kohesio_id" in {c["name"] for c in inspector.get_columns("v_projects")}
    finally:
        engine.dispose()
