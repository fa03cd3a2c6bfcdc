"""`esfbank`: one argparse front door; each subcommand lives in esfbank/commands/<name>.py.

Subcommand modules import their heavy dependencies (Scrapy, SQLAlchemy) inside `run`, so that
`esfbank parse` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from esfbank.errors import RunFailedError, UsageError

COMMANDS = ("crawl", "backfill", "parse", "load", "reparse", "export", "report", "db", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="esfbank",
        description="Crawl, parse and load the project bank of Svenska ESF-rådet (esf.se).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"esfbank.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 ok, 1 a quality gate failed or some inputs failed, 2 usage/configuration."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except UsageError as exc:
        print(f"esfbank {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except RunFailedError as exc:
        print(f"esfbank {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"esfbank {args.command}: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
