"""Closing a run that stops early, shared by `reparse` and `load`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from load.store import Store


@contextmanager
def closed_if_stopped(store: Store, run_id: int) -> Iterator[None]:
    """When the body raises, close the run as `interrupted` (Ctrl-C) or `failed` (anything
    else, a dead parse worker included) instead of leaving it `running` (`Store.abandon_run`: if
    the database itself failed, a later run closes it); the error goes on."""
    try:
        yield
    except BaseException as exc:
        store.abandon_run(run_id, exc)
        raise
