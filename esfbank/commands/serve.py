"""`esfbank serve`: Datasette on the SQLite database, read-only, described by the dictionary."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esfbank.commands._options import add_db_option
from esfbank.errors import UsageError

if TYPE_CHECKING:
    from datasette.app import Datasette

INSTALL_HINT = "pip install 'esfbank[serve]' (`make setup` installs it into .venv)"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="browse the SQLite database in Datasette (stemmed search, data dictionary)",
        description="Start Datasette on the SQLite database, read-only (a crawl may write "
        "meanwhile), with every table, view and column described from the data dictionary, "
        "facets, the README's example queries and the stemmed search as canned queries.",
    )
    add_db_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8001, help="port to listen on (default 8001; 0: a free one)"
    )
    p.set_defaults(run=run)


def sqlite_file(url: str) -> Path:
    """The file of a SQLite URL; UsageError for PostgreSQL, memory or a missing file."""
    import sqlalchemy as sa

    from load.engine import describe

    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"database {url}: {exc}") from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        raise UsageError(
            f"serve works on SQLite database files, and {describe(url)} is not one: export "
            "from it (`esfbank export`) or query it with psql"
        )
    return Path(parsed.database or "")


def make_datasette(url: str, *, sql_threads: int | None = None) -> Datasette:
    """A Datasette on the migrated, indexed SQLite database at `url`, with our metadata and
    plugin; UsageError when that cannot be. `sql_threads=0` answers in the caller's thread:
    Datasette's own threads never end, and a process that goes on (a test run) then forks its
    workers through a fork server instead of forking (esfbank.parallel)."""
    path = sqlite_file(url)
    if importlib.util.find_spec("datasette") is None:
        raise UsageError(f"Datasette is not installed: {INSTALL_HINT}")
    from datasette.app import Datasette
    from datasette.plugins import pm

    from esfbank import serve_plugin
    from esfbank.commands._database import open_migrated
    from esfbank.serve_metadata import build_metadata
    from load import search

    engine = open_migrated(url)
    try:
        with engine.connect() as conn:
            if not search.has_index(conn):
                raise UsageError(
                    f"database {path} has no search index (an older revision): run "
                    "`esfbank db upgrade` first"
                )
        metadata = build_metadata(engine, path.stem)
    finally:
        engine.dispose()
    if not pm.is_registered(serve_plugin):
        pm.register(serve_plugin, name="esfbank")
    # A file given as `files` (not `immutables`) is opened read-only (mode=ro), re-read as it
    # changes: the nightly crawl may write while researchers browse.
    settings: dict[str, int] = {"sql_time_limit_ms": 3000}
    if sql_threads is not None:
        settings["num_sql_threads"] = sql_threads
    return Datasette(files=[str(path)], metadata=metadata, settings=settings)


def run(args: argparse.Namespace) -> int:
    import socket

    from esfbank import config

    datasette = make_datasette(config.db_url(args.db))
    import uvicorn

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        listener = socket.create_server((args.host, args.port), family=family)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    host, port = listener.getsockname()[:2]
    # Listening already: whoever reads this line can connect (--port 0 picks a free port).
    print(f"esfbank serve: Datasette on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    server = uvicorn.Server(uvicorn.Config(datasette.app(), log_level="warning"))
    server.run(sockets=[listener])
    return 0
