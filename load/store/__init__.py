"""The store API: the one door through which the crawler and `esfbank load` write the database.

    store = open_store(url)                 # DatabaseUnavailableError when the URL does not work
    run_id = store.begin_run("crawl")       # also closes runs silent too long as `interrupted`
    counts = store.upsert(items, run_id)     # a LoadItem per fetched/parsed page
    store.touch_seen(urls, run_id)          # skipped because the sitemap lastmod did not change
    store.record_redirects(redirects, run_id)   # URLs whose fetch ended at another URL
    store.removal_families(urls)            # the live ones among URLs, by family (the guard)
    store.mark_removed(urls, run_id)        # 404/410, or no longer listed in a complete run
    store.finish_run(run_id, "ok", RunCounts(...))
    store.close()

Writes happen in one transaction per batch, each of which records the run's progress (so a run
killed mid-way is recognised by its silence); writers serialise (SQLite BEGIN IMMEDIATE,
PostgreSQL transaction advisory lock), so two loaders never fail each other or lose rows.
A record whose content hash is unchanged writes nothing but its URL's url_state row.

The parts: items (what goes in and out), runs, plan (a batch sorted out before writing),
upserts (projects, news, organisations and versions), children (municipalities, partners,
co-financiers), urls (url_state and redirects), removals, quarantine (parse_errors), sql
(shared statement helpers); api holds the `Store` that puts them together.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from load.store.items import UPSERT_BATCH, LoadItem, Redirect, RunCounts, UpsertCounts, UrlState

if TYPE_CHECKING:
    from load.engine import DatabaseUnavailableError
    from load.store.api import Store, open_store
    from load.store.runs import STALE_RUN_AFTER

__all__ = [
    "STALE_RUN_AFTER",
    "UPSERT_BATCH",
    "DatabaseUnavailableError",
    "LoadItem",
    "Redirect",
    "RunCounts",
    "Store",
    "UpsertCounts",
    "UrlState",
    "open_store",
]

# The database side, imported on first use: parse workers need the items alone, and a reparse
# forks them before it imports SQLAlchemy, which then loads while they parse.
_DATABASE_SIDE = {
    "DatabaseUnavailableError": "load.engine",
    "STALE_RUN_AFTER": "load.store.runs",
    "Store": "load.store.api",
    "open_store": "load.store.api",
}


def __getattr__(name: str) -> Any:
    module = _DATABASE_SIDE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
