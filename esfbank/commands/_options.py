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
