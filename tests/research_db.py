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

from load.sources.importer import ESF_EXPORT, KOHESIO, import_file
from load.store import LoadItem, RunCounts, open_store
from parsers.page import parse_path
from parsers.records import NewsRecord, ProjectRecord, Record

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
SOURCES = Path(__file__).resolve().parent / "fixtures" / "sources"
FAMILIES = ("esf2007", "esf2014", "esfplus2021", "news", "call", "other")
BROKEN_URL = "https://www.esf.se/resultat/projektbanken/projekt/?dnr=2099/99999"
UNKNOWN_PROJECT_NUMBER = "2099/00001"  # mentioned by a news article, not in the database
SITE = "https://www.esf.se"
# Seed pages saved without a URL header, and the path the fixture site serves them at.
SEED_PATHS = {
    "forprojektering-ame-svalov.txt": "/sv/Resultat/Projektbanken/Behallare-for-projekt/"
    "Sydsverige/Forprojektering-AME-Svalov/",
    "visioncenter.txt": "/Resultat/Projektbanken/Behallare-for-projekt/Ostra-Mellansverige/"
    "Visioncenter/",
    "2019-00145.txt": "/resultat/projektbanken/projekt/?dnr=2019/00145",
    "22-005-S01.txt": "/resultat/projektbanken/projekt/?dnr=22-005-S01",
    "valbesokt-inspirationstraff.txt": "/nyheter/valbesokt-inspirationstraff-for-potentiella-"
    "projektagare/",
}


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
    """The golden text pages, each with its URL as a crawl would have it."""
    records = []
    for family in FAMILIES:
        for path in sorted((GOLDEN / family).glob("*.txt")):
            record = parse_path(path)
            if record.source.url is None:
                source = dataclasses.replace(record.source, url=SITE + SEED_PATHS[path.name])
                record = dataclasses.replace(record, source=source)
            records.append(record)
    return records


def load_fixture_db(url: str) -> FixtureDb:
    """Load the golden pages into the migrated database at `url` in two runs.

    The first news article is made to mention a project of the database and one that is not
    there (no golden article mentions a project number), so v_news has links to show.
    """
    records = golden_records()
    projects = [r for r in records if isinstance(r, ProjectRecord) and r.source.url]
    numbered = next(p for p in projects if p.programme_period == "2014-2020" and p.project_number)
    assert numbered.project_number is not None
    index, news = next((i, r) for i, r in enumerate(records) if isinstance(r, NewsRecord))
    mentions = (numbered.project_number, UNKNOWN_PROJECT_NUMBER)
    records[index] = dataclasses.replace(news, mentioned_project_numbers=mentions)
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
    return FixtureDb(
        url=url,
        changed_project_number=numbered.project_number,
        old_end_date=numbered.end_date,
        new_end_date=new_end,
        removed_url=unnumbered.source.url,
    )


def import_sources(url: str) -> None:
    """Import a small export and Kohesio file that name two of the golden projects, with other
    titles, so v_project_links and v_source_disagreements have rows to show."""
    store = open_store(url, upgrade=False)
    try:
        for spec, name in ((ESF_EXPORT, "research_export.csv"), (KOHESIO, "research_kohesio.csv")):
            assert import_file(store, spec, SOURCES / name).failed == 0
    finally:
        store.close()
