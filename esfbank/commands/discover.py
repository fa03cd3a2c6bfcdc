"""`esfbank discover`: a dry run of discovery. Reads robots.txt, the sitemaps and the listing
pages as a crawl would (and, with `--wayback` or `--wayback-url`, the Internet Archive's index
of the legacy bank, as `backfill --wayback` would), and prints per source and per page family how
many URLs it found, with a few examples; `--format jsonl` lists them all. Writes nothing: no
database, no archive, and no capture is downloaded.

Exit 1 when a discovery source could not be read (the list is then incomplete), 2 for bad flags.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esfbank.commands.backfill import add_wayback_arguments, wayback_url
from esfbank.commands.crawl import (
    _base_url,
    add_fetch_arguments,
    fetch_flags,
    settings_and_seeds,
)
from esfbank.lifetime import long_lived_imports

if TYPE_CHECKING:
    from crawler.dryrun import Discovery

EXAMPLES = 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "discover",
        help="dry run of discovery: what a crawl would request, per source and family",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_fetch_arguments(p)
    p.add_argument("--urls", type=Path, metavar="FILE", help="a seed list, as `crawl --urls`")
    p.add_argument("--format", choices=("text", "jsonl"), default="text")
    p.add_argument("--examples", type=int, default=EXAMPLES, metavar="N", help="per family")
    add_wayback_arguments(p, "also list the legacy pages the Internet Archive's index holds")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with long_lived_imports():
        from crawler.context import CrawlOptions
        from crawler.dryrun import run_discovery

    base_url = _base_url(args.base_url)
    flags = {**fetch_flags(args), "ESFBANK_PROGRESS_SECONDS": 0}
    settings, seeds = settings_and_seeds(flags, args.urls, base_url)
    options = CrawlOptions(base_url=base_url, seeds=seeds, wayback_url=wayback_url(args))
    result = run_discovery(options, settings)
    if args.format == "jsonl":
        _print_jsonl(result)
    else:
        _print_summary(result, max(args.examples, 0))
    for failure in result.failures:
        print(f"discover: discovery source not read: {failure}", file=sys.stderr)
    return 0 if result.complete else 1


def _print_jsonl(result: Discovery) -> None:
    from crawler.discovery import family

    out = sys.stdout
    for url, source in result.found.items():
        out.write(json.dumps({"url": url, "family": family(url), "source": source}) + "\n")


def _print_summary(result: Discovery, examples: int) -> None:
    from crawler.discovery import family, source_kind

    by_source: Counter[str] = Counter()
    by_family: Counter[str] = Counter()
    shown: dict[str, list[str]] = defaultdict(list)
    table: Counter[tuple[str, str]] = Counter()
    for url, source in result.found.items():
        kind, fam = source_kind(source), family(url)
        by_source[kind] += 1
        by_family[fam] += 1
        table[(kind, fam)] += 1
        if len(shown[fam]) < examples:
            shown[fam].append(url)
    print(f"discover: {len(result.found)} URLs a crawl would request")
    for kind, count in sorted(by_source.items()):
        parts = ", ".join(f"{f} {n}" for (k, f), n in sorted(table.items()) if k == kind)
        print(f"  from {kind}: {count} ({parts})")
    print(f"  per page family (the first {examples} of each):")
    for fam, count in sorted(by_family.items()):
        print(f"    {fam}: {count}")
        for url in shown[fam]:
            print(f"      {url}")
    if result.robots_blocked:
        print(f"  {result.robots_blocked} listing pages disallowed by robots.txt")
    if not result.complete:
        print("discover: incomplete: a discovery source could not be read (see stderr)")
