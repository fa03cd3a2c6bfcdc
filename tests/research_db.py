"""A small loaded database for the research tests (views, export, report), on any backend.

The golden pages of every loaded family go through the real parser and store in a first run;
a second run changes one project (history), removes another (removed flag) and quarantines a
page that failed (parse errors). The views then have something real to show.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from load.store import LoadItem, RunCounts, open_store
from parsers.page import parse_path
from parsers.records import ProjectRecord, Record

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
FAMILIES = ("esf2007", "esf2014", "esfplus2021", "news", "call", "other")
BROKEN_URL = "https://www.esf.se/resultat/projektbanken/projekt/?dnr=2099/99999"


@dataclass(frozen=True, slots=True)
class FixtureDb:
    url: str
    changed_project_number: str
    old_end_date: dt.date | None
    new_end_date: dt.date
    removed_url: str


def _clock() -> Iterator[dt.datetime]:
    start = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)
    return (start + dt.timedelta(minutes=n) for n in itertools.count())


def golden_records() -> list[Record]:
    return [
        parse_path(path) for family in FAMILIES for path in sorted((GOLDEN / family).glob("*.txt"))
    ]


def load_fixture_db(url: str) -> FixtureDb:
    """Load the golden pages into the migrated database at `url` in two runs.

    Only pages with a URL, as a crawl has them (saved seeds without one cannot be keyed).
    """
    records = [r for r in golden_records() if r.source.url]
    projects = [r for r in records if isinstance(r, ProjectRecord) and r.source.url]
    numbered = next(p for p in projects if p.programme_period == "2014-2020" and p.project_number)
    unnumbered = next(p for p in projects if p.project_number is None)
    new_end = dt.date(2030, 6, 30)
    ticks = _clock()
    store = open_store(url, upgrade=False, clock=lambda: next(ticks))
    try:
        first = store.begin_run("load")
        counts = store.upsert([LoadItem(record=r, url=r.source.url) for r in records], first)
        store.finish_run(first, "ok", RunCounts(fetched=len(records), new=counts.new))

        second = store.begin_run("crawl")
        changed = dataclasses.replace(numbered, end_date=new_end)
        counts = store.upsert([LoadItem(record=changed, url=changed.source.url)], second)
        store.quarantine(second, url=BROKEN_URL, message="the page could not be read")
        assert unnumbered.source.url is not None
        removed = store.mark_removed([unnumbered.source.url], second)
        store.finish_run(
            second, "ok", RunCounts(fetched=2, changed=counts.changed, removed=removed, failed=1)
        )
    finally:
        store.close()
    assert numbered.project_number is not None
    return FixtureDb(
        url=url,
        changed_project_number=numbered.project_number,
        old_end_date=numbered.end_date,
        new_end_date=new_end,
        removed_url=unnumbered.source.url,
    )
