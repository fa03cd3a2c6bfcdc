"""Settings in one place: defaults, overridden by environment variables, overridden by flags."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from esfbank.errors import UsageError

DEFAULT_BASE_URL = "https://www.esf.se"
DEFAULT_DATA_DIR = Path("data")
DEFAULT_DB_URL = f"sqlite:///{DEFAULT_DATA_DIR / 'esfbank.sqlite'}"
DEFAULT_ARCHIVE_DIR = DEFAULT_DATA_DIR / "archive"
DEFAULT_STALE_RUN_MINUTES = 60


def db_url(flag: str | None = None) -> str:
    """`--db URL`, else `ESFBANK_DB`, else the SQLite file under data/."""
    return flag or os.environ.get("ESFBANK_DB") or DEFAULT_DB_URL


def archive_dir(flag: str | None = None) -> Path:
    """`--archive DIR`, else `ESFBANK_ARCHIVE`, else data/archive."""
    return Path(flag or os.environ.get("ESFBANK_ARCHIVE") or DEFAULT_ARCHIVE_DIR)


def stale_run_after() -> dt.timedelta:
    """`ESFBANK_STALE_RUN_MINUTES` (default 60): a run still `running` with no progress for
    this long was killed, and the next run closes it as `interrupted`."""
    given = os.environ.get("ESFBANK_STALE_RUN_MINUTES")
    try:
        minutes = float(given) if given else DEFAULT_STALE_RUN_MINUTES
    except ValueError:
        minutes = -1
    if not minutes > 0:
        raise UsageError(f"ESFBANK_STALE_RUN_MINUTES={given!r}: expected a number of minutes > 0")
    return dt.timedelta(minutes=minutes)
