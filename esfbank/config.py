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


DEFAULT_PROGRESS_SECONDS = 5.0  # as crawls have it (crawler/settings.py)


def progress_seconds() -> float:
    """Seconds between progress lines of `reparse` and `load`: `ESFBANK_PROGRESS_SECONDS`
    (0 turns them off), else DEFAULT_PROGRESS_SECONDS."""
    raw = os.environ.get("ESFBANK_PROGRESS_SECONDS")
    if not raw:
        return DEFAULT_PROGRESS_SECONDS
    try:
        return float(raw)
    except ValueError:
        raise UsageError(f"ESFBANK_PROGRESS_SECONDS={raw!r}: not a number of seconds") from None


def jobs(flag: int | None = None) -> int:
    """`--jobs N`, else `ESFBANK_JOBS`, else the cores this process may run on."""
    if flag is not None:
        return flag
    raw = os.environ.get("ESFBANK_JOBS")
    if not raw:
        if hasattr(os, "sched_getaffinity"):
            return len(os.sched_getaffinity(0))
        return os.cpu_count() or 1
    if not raw.isdigit() or int(raw) < 1:
        raise UsageError(f"ESFBANK_JOBS={raw!r}: give a whole number of processes, 1 or more")
    return int(raw)


def max_removed_share(flag: float | None = None) -> float:
    """`--max-removed-share`, else `ESFBANK_MAX_REMOVED_SHARE`, else the guard's default: for
    the commands that flag removals without a crawl's settings (a crawl reads it with them)."""
    # Here, not at the top: every command imports this module, `esfbank parse` among them.
    from crawler.removal import DEFAULT_MAX_SHARE, checked_share  # noqa: PLC0415

    raw = os.environ.get("ESFBANK_MAX_REMOVED_SHARE")
    if flag is None and raw:
        try:
            flag = float(raw)
        except ValueError:
            raise UsageError(f"ESFBANK_MAX_REMOVED_SHARE={raw!r}: not a number") from None
    try:
        return checked_share(DEFAULT_MAX_SHARE if flag is None else flag)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
