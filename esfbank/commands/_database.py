"""Opening an existing, migrated database for reading (export, report): clear errors, exit 2."""

from __future__ import annotations

import sqlalchemy as sa

from esfbank import config
from esfbank.errors import UsageError
from load.engine import DatabaseUnavailableError, describe, open_reader, sqlite_file
from load.migrate import current_revision


def open_migrated(flag: str | None) -> sa.Engine:
    """The database of `--db` / ESFBANK_DB / the default, which must exist and be migrated,
    opened for reading only (so a database in a read-only directory can be read).

    A missing SQLite file is an error rather than a new empty database, so a typo in the path
    does not read as "no data".
    """
    url = config.db_url(flag)
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"database {url}: {exc}") from None
    path = sqlite_file(parsed)
    if path is not None and not path.is_file():
        raise UsageError(
            f"database file {path} does not exist: run `esfbank demo` or `esfbank crawl` first"
        )
    try:
        engine = open_reader(url)
    except DatabaseUnavailableError as exc:
        raise UsageError(str(exc)) from None
    if current_revision(engine) is None:
        raise UsageError(f"database {describe(url)} has no schema: run `esfbank db upgrade` first")
    return engine
