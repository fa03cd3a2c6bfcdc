"""Alembic, driven from code: the migration scripts live inside the package, so
`esfbank db upgrade` works from any working directory and from an installed package.
(load/alembic.ini points the `alembic` command at the same scripts, for writing new revisions.)
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, Engine

from load.engine import DatabaseUnavailableError, schema_change

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config pointing at our scripts; `connection`, when given, is the one env.py uses."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`, in one transaction (PostgreSQL DDL is transactional).

    A database stamped with a revision this code does not know (made by a newer esfbank) is
    refused with DatabaseUnavailableError rather than touched."""
    try:
        with schema_change(engine) as conn:
            command.upgrade(alembic_config(conn), revision)
    except CommandError as exc:
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailableError(f"database {url}: {exc}") from None
