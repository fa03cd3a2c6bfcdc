"""`esfbank import esf-export FILE` / `esfbank import kohesio FILE`: other sources of the same
projects, imported into their own tables and linked to the pages' projects.

Exit 2 for a file that is not the format (nothing is written), 1 when rows failed (they are
quarantined in parse_errors with the file and line; the rest is imported), else 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from esfbank import config
from esfbank.commands._options import add_db_option
from esfbank.errors import UsageError

_SHOWN_AMBIGUITIES = 20
_HELP = {
    "esf-export": "the project bank's CSV export: one row per project number; its numbers are "
    "crawled as ?dnr= pages",
    "kohesio": "a Kohesio country CSV (one file per programming period): Swedish operations",
}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="import another source of the same projects (the bank's export, Kohesio)",
        description="Import a source file, link its rows to the pages' projects and print "
        "what changed. A newer file of the same source and period replaces the rows it lists "
        "and flags the rows of that period it no longer lists.",
    )
    kinds = p.add_subparsers(dest="source", required=True, metavar="SOURCE")
    for name, text in _HELP.items():
        kind = kinds.add_parser(name, help=text, description=text)
        kind.add_argument("file", type=Path, metavar="FILE")
        add_db_option(kind)
        kind.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from load.sources.csvfile import NotTheFormatError
    from load.sources.importer import SOURCES, import_file
    from load.store import DatabaseUnavailableError, open_store

    spec = SOURCES[args.source]
    command = f"esfbank import {args.source}"
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        store = open_store(config.db_url(args.db))
    except DatabaseUnavailableError as exc:
        raise UsageError(str(exc)) from None
    try:
        try:
            counts = import_file(store, spec, path)
        except NotTheFormatError as exc:
            raise UsageError(str(exc)) from None
        _print_links(store, command, spec.name)
    finally:
        store.close()
    print(
        f"{command}: {path}: run {counts.run_id}: {counts.read} rows read: {counts.new} new, "
        f"{counts.changed} changed, {counts.unchanged} unchanged, {counts.dropped} no longer "
        f"listed (flagged), {counts.failed} failed (quarantined in parse_errors), "
        f"{counts.repeated} repeated keys (first kept), {counts.skipped} skipped (not Swedish)"
    )
    for problem in counts.problems:
        print(f"{command}: {path}: {problem}", file=sys.stderr)
    if counts.failed:
        print(f"{command}: rows failed, so no row was flagged as no longer listed")
    return 1 if counts.failed else 0


def _print_links(store: Any, command: str, source: str) -> None:
    from load.sources.links import plan

    with store.engine.connect() as conn:
        planned = plan(conn)
    mine = [link for link in planned.links if link.source == source]
    by_kind: dict[str, int] = {}
    for link in mine:
        by_kind[link.matched_on] = by_kind.get(link.matched_on, 0) + 1
    kinds = ", ".join(f"{n} by {kind}" for kind, n in sorted(by_kind.items())) or "none"
    unclear = [a for a in planned.ambiguities if a.source == source]
    print(f"{command}: {len(mine)} projects linked ({kinds}); {len(unclear)} ambiguous, not linked")
    for ambiguity in unclear[:_SHOWN_AMBIGUITIES]:
        print(f"{command}: ambiguous: {ambiguity.describe()}")
