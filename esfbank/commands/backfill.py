"""`esfbank backfill`: crawl every page in full (no conditional requests), resumable.

Progress is journalled per committed batch beside the archive; after Ctrl-C or kill -9,
`esfbank backfill --resume` finishes the job without re-fetching the pages already done, and the
database ends up as an uninterrupted run would have left it.

With `--wayback` (or `--wayback-url URL`) the legacy bank, gone from the live site, is loaded too:
the Internet Archive's index lists the legacy pages (2007–2013 projects, the old 2014–2020 slug
pages, old news), and each is read from its newest capture, one request at a time
(ESFBANK_WAYBACK_DELAY seconds apart). Such pages are history: no later crawl asks the site or
the archive for them again, and none is ever flagged removed.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from esfbank.commands.crawl import add_crawl_arguments, execute, site_root

WAYBACK_ENV = "ESFBANK_WAYBACK_URL"
_DEFAULT = "https://web.archive.org"  # crawler.wayback's default, named here for --help


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
    add_wayback_arguments(p, "also load the legacy bank from the Internet Archive")
    p.set_defaults(run=run)


def add_wayback_arguments(p: argparse.ArgumentParser, purpose: str) -> None:
    """`--wayback` and `--wayback-url`, as `backfill` and `discover` take them."""
    p.add_argument(
        "--wayback", action="store_true", help=f"{purpose} ({WAYBACK_ENV}, else {_DEFAULT})"
    )
    p.add_argument(
        "--wayback-url", metavar="URL", help="the Internet Archive to ask (implies --wayback)"
    )


def run(args: argparse.Namespace) -> int:
    return execute(
        args, mode="full", resume=args.resume, command="backfill", wayback_url=wayback_url(args)
    )


def wayback_url(args: argparse.Namespace) -> str | None:
    """`--wayback-url`, else with `--wayback` ESFBANK_WAYBACK_URL or the real archive."""
    from crawler.wayback import DEFAULT_WAYBACK_URL

    if args.wayback_url is not None:
        return site_root(args.wayback_url, "--wayback-url")
    if not args.wayback:
        return None
    return site_root(os.environ.get(WAYBACK_ENV) or DEFAULT_WAYBACK_URL, WAYBACK_ENV)
