"""Alembic, driven from code: the migration scripts live inside the package, so
`esfbank db upgrade` works from any working directory and from an installed package.
(load/alembic.ini points the `alembic` command at the same scripts, for writing new revisions.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from load.engine import DatabaseUnavailableError, schema_change

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# `revision = "0002_views"` / `down_revision: str | None = "0001"` lines of a revision script.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config pointing at our scripts; `connection`, when given, is the one env.py uses."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    """Whether the database is stamped with the newest revision, without importing Alembic.

    Every command opens the database through this check; Alembic (and Mako, Pygments) cost a
    tenth of a second to import, more than a nightly crawl of an unchanged site takes."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return False
        stamped = set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    return stamped == script_heads()


def script_heads() -> set[str]:
    """The head revisions of the migration scripts, read from their `revision` and
    `down_revision` lines (a test holds this equal to Alembic's own ScriptDirectory heads)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            declared = ast.literal_eval(value)
            if name == "revision":
                revisions.add(declared)
            elif isinstance(declared, str):
                parents.add(declared)
            elif declared is not None:  # a merge revision names several parents
                parents.update(declared)
    return revisions - parents


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`, in one transaction (PostgreSQL DDL is transactional).

    A database stamped with a revision this code does not know (made by a newer esfbank) is
    refused with DatabaseUnavailableError rather than touched."""
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        with schema_change(engine) as conn:
            command.upgrade(alembic_config(conn), revision)
    except CommandError as exc:
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailableError(f"database {url}: {exc}") from None
