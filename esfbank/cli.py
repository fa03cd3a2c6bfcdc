"""`esfbank`: one argparse front door; each subcommand lives in esfbank/commands/<name>.py.

Subcommand modules import their heavy dependencies (Scrapy, SQLAlchemy) inside `run`, so that
`esfbank parse` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from esfbank.errors import STDOUT, RunFailedError, UsageError, failure_line, writing_stdout

COMMANDS = (
    "crawl",
    "backfill",
    "discover",
    "parse",
    "load",
    "reparse",
    "export",
    "report",
    "db",
    "demo",
    "import_",
    "search",
    "serve",
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `command` (a subcommand's name), only that subcommand's
    part: importing and describing all thirteen is a third of `esfbank parse`'s start-up."""
    parser = argparse.ArgumentParser(
        prog="esfbank",
        description="Crawl, parse and load the project bank of Svenska ESF-rådet (esf.se).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        if command is None or name.rstrip("_") == command:
            importlib.import_module(f"esfbank.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 ok, 1 a quality gate failed, some inputs failed or the run failed (disk
    full, database failing), 2 usage/configuration (the command could not start), 130 Ctrl-C.

    A reader that closes standard output early (`| head`) ends the command quietly, exit 0."""
    argv = sys.argv[1:] if argv is None else argv
    named = argv[0] if argv and argv[0] in {name.rstrip("_") for name in COMMANDS} else None
    args = build_parser(named).parse_args(argv)
    try:
        code: int = args.run(args)
        with writing_stdout():  # here, so that a full disk behind stdout is reported too
            sys.stdout.flush()
    except UsageError as exc:
        print(f"esfbank {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except RunFailedError as exc:
        print(f"esfbank {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"esfbank {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as exc:
        line = failure_line(exc)
        if line is None:
            raise
        if isinstance(exc, OSError) and exc.filename == STDOUT:
            _silence_stdout()
        print(f"esfbank {args.command}: error: {line}", file=sys.stderr)
        return 1
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's own flush at exit fails no more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
