"""Committed reference tables (data/regions.csv, data/kommuner.csv) of a checkout: the current
ones, for tests and fixtures. Migrations keep their own copies (0001 its 0001_*.csv), so an
installed esfbank never reads data/; a test holds the migrated rows equal to these files."""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REGIONS_CSV = DATA_DIR / "regions.csv"
MUNICIPALITIES_CSV = DATA_DIR / "kommuner.csv"


def _read(path: Path) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(f)]


def regions() -> list[dict[str, str | None]]:
    """Canonical region name → NUTS-2 code (None for Nationellt)."""
    return _read(REGIONS_CSV)


def municipalities() -> list[dict[str, str | None]]:
    """The 290 municipalities: kommunkod, name, lan_code, lan_name, nuts2."""
    return _read(MUNICIPALITIES_CSV)
