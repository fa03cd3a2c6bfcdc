"""Errors the CLI turns into one clear line: exit 2 when a command cannot start (bad usage or
configuration), exit 1 when the machine fails a started run (disk full, database failing)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

STDOUT = "standard output"


class UsageError(Exception):
    """Bad flags, a database URL that does not work, a file that is not there: exit code 2."""


def failure_line(exc: BaseException) -> str | None:
    """One line for a failure of the machine rather than of the code: a file system error (disk
    full, `ulimit -f`, a read-only file) or a database error (the server went away, its disk is
    full). None for anything else: a bug keeps its traceback.

    SQLAlchemy is looked up, not imported, so `esfbank parse` still starts without it.
    """
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"{exc.filename}: {reason}" if exc.filename else reason
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.OperationalError | sa_exc.InternalError):
        lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
        return f"the database failed: {lines[0] if lines else type(exc).__name__}"
    return None


@contextmanager
def writing_stdout() -> Iterator[None]:
    """Name standard output in a file system error met while writing to it (stdout on a full
    disk or /dev/full); a closed pipe stays a BrokenPipeError, which ends a command quietly."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), STDOUT) from None


class RunFailedError(Exception):
    """A started run that could not go on (a parse worker died): one clear line, exit code 1."""
