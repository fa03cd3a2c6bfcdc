"""The foreign keys hold for every writer on both backends, whether the database enforces them
as constraints (SQLite) or once per statement with triggers (PostgreSQL, migration 0010): a
dangling value is refused, alone or inside a COPY, a referred row cannot go or change its key
while rows refer to it, and the search index follows its page (ON DELETE CASCADE)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from load import bulk
from load import schema as t
from load.store import LoadItem, open_store
from tests.plugins.db import FreshDb, synthetic_project

_MISSING = 10_000  # no project or run has this id


def _load(fresh_db: FreshDb, count: int) -> list[int]:
    """Projects loaded the ordinary way (versions, children, url_state rows): their ids."""
    store = open_store(fresh_db.url, upgrade=False)
    run = store.begin_run("load")
    records = [synthetic_project(n) for n in range(1, count + 1)]
    store.upsert([LoadItem(record=r, url=r.source.url) for r in records], run)
    store.close()
    with fresh_db.engine.connect() as conn:
        return list(conn.execute(sa.select(t.projects.c.id).order_by(t.projects.c.id)).scalars())


def _load_one(fresh_db: FreshDb) -> int:
    """One project loaded the ordinary way: its id."""
    (project_id,) = _load(fresh_db, 1)
    return project_id


def _refused(fresh_db: FreshDb, statement: sa.Executable, constraint: str) -> None:
    """The statement fails with IntegrityError; PostgreSQL names the constraint."""
    with pytest.raises(sa.exc.IntegrityError) as caught, fresh_db.engine.begin() as conn:
        conn.execute(statement)
    if fresh_db.backend == "postgresql":
        assert caught.value.orig.diag.constraint_name == constraint  # type: ignore[union-attr]


def test_a_row_referring_to_no_project_is_refused(fresh_db: FreshDb) -> None:
    project = _load_one(fresh_db)
    row = {"project_id": project + _MISSING, "position": 9, "name": "Ingen"}
    insert = sa.insert(t.project_partners).values(row)
    _refused(fresh_db, insert, "fk_project_partners_project_id_projects")


def test_a_dangling_row_inside_a_bulk_insert_refuses_the_whole_copy(fresh_db: FreshDb) -> None:
    project = _load_one(fresh_db)
    rows = [(project, 10, "Finns"), (project + _MISSING, 0, "Ingen"), (project, 11, "Finns")]
    with pytest.raises(sa.exc.IntegrityError) as caught, fresh_db.engine.begin() as conn:
        bulk.insert_tuples(conn, t.project_partners, ["project_id", "position", "name"], rows)
    if fresh_db.backend == "postgresql":
        assert f"Key (project_id)=({project + _MISSING})" in str(caught.value)
    with fresh_db.engine.connect() as conn:
        count = sa.select(sa.func.count()).select_from(t.project_partners)
        assert conn.execute(count).scalar_one() == 2  # the project's own two, nothing of the COPY


def test_keys_filling_a_range_with_a_row_missing_inside_it_are_refused(
    fresh_db: FreshDb,
) -> None:
    """Three keys from the smallest to the largest, the middle one no project's: PostgreSQL's
    range scan (migration 0012) counts two rows for three keys and looks each up."""
    first, second = _load(fresh_db, 2)
    assert second == first + 1  # with `gone`, three keys from the smallest to the largest
    gone = second + 1
    rows = [(first, 20, "Finns"), (gone, 0, "Ingen"), (second, 20, "Finns")]
    with pytest.raises(sa.exc.IntegrityError) as caught, fresh_db.engine.begin() as conn:
        bulk.insert_tuples(conn, t.project_partners, ["project_id", "position", "name"], rows)
    if fresh_db.backend == "postgresql":
        assert f"Key (project_id)=({gone})" in str(caught.value)


def test_a_row_updated_to_refer_to_no_run_is_refused(fresh_db: FreshDb) -> None:
    _load_one(fresh_db)
    update = sa.update(t.project_versions).values(run_id=_MISSING)
    _refused(fresh_db, update, "fk_project_versions_run_id_crawl_runs")


def test_an_unknown_municipality_code_is_refused(fresh_db: FreshDb) -> None:
    _load_one(fresh_db)
    update = sa.update(t.project_municipalities).values(kommunkod="9999")
    _refused(fresh_db, update, "fk_project_municipalities_kommunkod_municipalities")


def test_a_project_with_history_cannot_be_deleted(fresh_db: FreshDb) -> None:
    project = _load_one(fresh_db)
    delete = sa.delete(t.projects).where(t.projects.c.id == project)
    with pytest.raises(sa.exc.IntegrityError), fresh_db.engine.begin() as conn:
        conn.execute(delete)


def test_a_referred_key_cannot_change(fresh_db: FreshDb) -> None:
    project = _load_one(fresh_db)
    update = sa.update(t.projects).where(t.projects.c.id == project).values(id=project + 1)
    with pytest.raises(sa.exc.IntegrityError), fresh_db.engine.begin() as conn:
        conn.execute(update)


def test_a_project_without_referring_rows_goes_with_its_search_row(fresh_db: FreshDb) -> None:
    project = _load_one(fresh_db)
    referring = [table for table in t.metadata.tables.values() if "project_id" in table.c]
    with fresh_db.engine.begin() as conn:
        for table in referring:
            conn.execute(sa.delete(table).where(table.c.project_id == project))
        conn.execute(sa.delete(t.projects).where(t.projects.c.id == project))
    if fresh_db.backend == "postgresql":  # SQLite's index is an FTS5 table, with no keys
        with fresh_db.engine.connect() as conn:
            left = conn.exec_driver_sql("SELECT count(*) FROM search_projects").scalar_one()
        assert left == 0


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True)
def test_a_referred_table_cannot_be_truncated_alone(fresh_db: FreshDb) -> None:
    _load_one(fresh_db)
    with pytest.raises(sa.exc.NotSupportedError), fresh_db.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE organisations")


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True)
def test_a_new_reference_locks_its_row_against_deletion(fresh_db: FreshDb) -> None:
    """As a foreign key does: the referred row is locked FOR KEY SHARE until commit, so a
    concurrent DELETE waits instead of leaving the new row dangling."""
    project = _load_one(fresh_db)
    row = {"project_id": project, "position": 9, "name": "Ny"}
    with fresh_db.engine.connect() as writer, fresh_db.engine.connect() as other:
        writer.execute(sa.insert(t.project_partners).values(row))
        with pytest.raises(sa.exc.OperationalError, match="could not obtain lock"):
            other.exec_driver_sql(f"SELECT FROM projects WHERE id = {project} FOR UPDATE NOWAIT")
        writer.rollback()


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_db", ["postgresql"], indirect=True)
def test_new_references_to_a_range_of_keys_lock_every_row_of_it(fresh_db: FreshDb) -> None:
    """The range scan (migration 0012) locks each referred row FOR KEY SHARE, as the look-up
    per key did: none of them can be deleted before the commit."""
    projects = _load(fresh_db, 3)
    assert projects == list(range(projects[0], projects[0] + 3))
    rows = [(project, 20, "Ny") for project in projects]
    with fresh_db.engine.connect() as writer, fresh_db.engine.connect() as other:
        bulk.insert_tuples(writer, t.project_partners, ["project_id", "position", "name"], rows)
        writer.exec_driver_sql("SELECT 1")  # the COPY, sent ahead, is done and checked
        for project in projects:
            with pytest.raises(sa.exc.OperationalError, match="could not obtain lock"):
                other.exec_driver_sql(
                    f"SELECT FROM projects WHERE id = {project} FOR UPDATE NOWAIT"
                )
            other.rollback()
        writer.rollback()
