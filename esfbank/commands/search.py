"""`esfbank search QUERY`: full-text search of projects and news, Swedish inflections understood."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from esfbank.commands._options import add_db_option
from esfbank.errors import UsageError

if TYPE_CHECKING:
    from load.search import Hit

PERIODS = ("2007-2013", "2014-2020", "2021-2027")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "search",
        help="full-text search of projects and news (Swedish inflections understood)",
        description='Words mean all of them ("sjuksköterska arbetslösa"); quotes make a phrase '
        '("utrikes födda kvinnor"). Each word also finds its inflections (sjuksköterska finds '
        "sjuksköterskor). Searches project titles, owners and free-text sections, and news "
        "titles and bodies, of pages not removed.",
    )
    p.add_argument("query", metavar="QUERY")
    add_db_option(p)
    p.add_argument("--limit", type=_positive, default=20, help="at most N hits (default 20)")
    p.add_argument("--kind", choices=("project", "news"), help="only projects or only news")
    p.add_argument(
        "--period", choices=PERIODS, help="only projects of this programme period (no news)"
    )
    p.add_argument("--format", choices=("table", "jsonl"), default="table")
    p.set_defaults(run=run)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number above 0")
    return number


def run(args: argparse.Namespace) -> int:
    # Imported here so that other subcommands start without SQLAlchemy (cli.py).
    from esfbank.commands._database import open_migrated
    from load import search
    from load.engine import describe
    from load.search_text import SearchQueryError, parse_query

    if args.kind == "news" and args.period:
        raise UsageError("--period selects projects; news have no programme period")
    try:
        query = parse_query(args.query)
    except SearchQueryError as exc:
        raise UsageError(str(exc)) from None
    engine = open_migrated(args.db)
    try:
        with engine.connect() as conn:
            if not search.has_index(conn):
                raise UsageError(
                    f"database {describe(str(engine.url))} has no search index (an older "
                    "revision): run `esfbank db upgrade` first"
                )
            hits = search.search(conn, query, limit=args.limit, kind=args.kind, period=args.period)
    finally:
        engine.dispose()
    if args.format == "jsonl":
        for hit in hits:
            sys.stdout.write(json.dumps(hit.to_json(), ensure_ascii=False) + "\n")
    else:
        _print_table(hits)
    print(f"esfbank search: {len(hits)} hits for {args.query!r}", file=sys.stderr)
    return 0


def _print_table(hits: list[Hit]) -> None:
    """One hit in two lines: rank, kind, number, title, then its snippet indented."""
    for hit in hits:
        number = hit.project_number or hit.programme_period or ""
        print(f"{hit.rank:>3}  {hit.kind:<7}  {number:<14}  {hit.title or ''}")
        print(f"     {hit.snippet}")
        print(f"     {hit.source_url or ''}")
