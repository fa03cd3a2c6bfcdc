"""`esfbank db upgrade [--db URL]`: apply the Alembic migrations (creating the schema)."""

from __future__ import annotations

import argparse
from typing import Any

from esfbank import config
from esfbank.commands._options import add_db_option
from esfbank.errors import UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("db", help="database administration: `db upgrade` applies migrations")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="apply the Alembic migrations up to the latest")
    add_db_option(upgrade)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from load import migrate
    from load.engine import DatabaseUnavailableError, check_connection, create_engine, describe

    url = config.db_url(args.db)
    try:
        engine = create_engine(url)
        check_connection(engine)
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    except DatabaseUnavailableError as exc:
        raise UsageError(str(exc)) from None
    except sa.exc.DBAPIError as exc:
        raise UsageError(f"database {describe(url)}: upgrade failed: {exc.orig}") from None
    engine.dispose()
    print(f"esfbank db upgrade: {describe(url)} at revision {after} (was {before or 'empty'})")
    return 0
