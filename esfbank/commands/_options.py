"""Flags several commands share, defined once so their meaning and help read the same."""

from __future__ import annotations

import argparse


def add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: ESFBANK_DB, else the SQLite file data/esfbank.sqlite)",
    )


def add_archive_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--archive",
        metavar="DIR",
        help="raw archive directory (default: ESFBANK_ARCHIVE, else data/archive)",
    )


def add_jobs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="processes that parse, beside the one that writes (default: ESFBANK_JOBS, else "
        "the number of cores; 1 parses in this process)",
    )


def add_removal_options(p: argparse.ArgumentParser) -> None:
    """The mass-removal guard's flags, for every command that flags pages removed."""
    p.add_argument(
        "--max-removed-share",
        type=float,
        metavar="SHARE",
        help="flag no page removed when more than this share of the live pages, or of one "
        "programme period's or the news pages, would be (default 0.10, "
        "ESFBANK_MAX_REMOVED_SHARE); the run then exits 1",
    )
    p.add_argument(
        "--allow-mass-removal",
        action="store_true",
        help="flag the removals this run finds even when they pass --max-removed-share",
    )


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of processes, 1 or more")
    return int(text)
