"""Settings in one place: defaults, overridden by environment variables, overridden by flags."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_BASE_URL = "https://www.esf.se"
DEFAULT_DATA_DIR = Path("data")
DEFAULT_DB_URL = f"sqlite:///{DEFAULT_DATA_DIR / 'esfbank.sqlite'}"
DEFAULT_ARCHIVE_DIR = DEFAULT_DATA_DIR / "archive"


def db_url(flag: str | None = None) -> str:
    """`--db URL`, else `ESFBANK_DB`, else the SQLite file under data/."""
    return flag or os.environ.get("ESFBANK_DB") or DEFAULT_DB_URL


def archive_dir(flag: str | None = None) -> Path:
    """`--archive DIR`, else `ESFBANK_ARCHIVE`, else data/archive."""
    return Path(flag or os.environ.get("ESFBANK_ARCHIVE") or DEFAULT_ARCHIVE_DIR)
