"""`esfbank backfill`: crawl every page in full (no conditional requests), resumable.

Progress is journalled per committed batch beside the archive; after Ctrl-C or kill -9,
`esfbank backfill --resume` finishes the job without re-fetching the pages already done, and the
database ends up as an uninterrupted run would have left it.
"""

from __future__ import annotations

import argparse
from typing import Any

from esfbank.commands.crawl import add_crawl_arguments, execute


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "backfill",
        help="full crawl of every page, resumable after a crash or Ctrl-C",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_crawl_arguments(p)
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted backfill of this database instead of starting over",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return execute(args, mode="full", resume=args.resume, command="backfill")
