"""Alembic environment: runs on the connection esfbank hands over, or on `-x db=URL`.

Both run inside `load.engine.schema_change`, which lets batch mode rebuild on SQLite a table
that other tables refer to and views read (see its docstring for why and how)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from load.engine import create_engine, lock_writers, schema_change
from load.schema import metadata
from load.search import outside_schema


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
        include_name=outside_schema,  # autogenerate never drops the search index
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        lock_writers(connection)  # two processes upgrading at once take turns
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("db")
    if not url:
        raise SystemExit("alembic: pass the database as -x db=URL")
    with schema_change(create_engine(url)) as conn:
        lock_writers(conn)
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("esfbank migrations run online only")
run_migrations_online()
