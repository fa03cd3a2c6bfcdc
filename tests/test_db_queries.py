"""The README's example queries, run on both backends against the fixture pages, loaded."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from load.store import LoadItem, open_store
from parsers.page import parse_path
from parsers.records import ProjectRecord
from tests.plugins.db import FreshDb

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "fixtures" / "load" / "pages"
_SECTION = re.compile(
    r"<!-- section: database \(owner: load\) -->(.*?)<!-- end section: database -->", re.S
)


def readme_queries() -> list[str]:
    section = _SECTION.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert section is not None, "README has no database section"
    return re.findall(r"```sql\n(.*?)```", section.group(1), re.S)


@pytest.fixture
def loaded(fresh_db: FreshDb) -> list[ProjectRecord]:
    """The fixture pages in the database; returns the projects that loaded (they have keys)."""
    records = [parse_path(page) for page in sorted(PAGES.iterdir())]
    store = open_store(fresh_db.url)
    store.upsert([LoadItem(record=r) for r in records], store.begin_run("load"))
    store.close()
    return [
        r for r in records if isinstance(r, ProjectRecord) and (r.project_number or r.source.url)
    ]


def run(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(sql)]


def test_the_readme_has_three_queries() -> None:
    assert len(readme_queries()) == 3


def test_support_per_region_and_period(fresh_db: FreshDb, loaded: list[ProjectRecord]) -> None:
    expected: dict[tuple[str | None, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for r in loaded:
        totals = expected[(r.programme_period, r.region)]
        totals[0] += 1
        totals[1] += r.granted_esf_sek or 0
    rows = run(fresh_db.engine, readme_queries()[0])
    got = {(period, region): [n, int(total or 0)] for period, region, _nuts2, n, total in rows}
    assert got == dict(expected)
    nuts = {region: nuts2 for _p, region, nuts2, _n, _t in rows}
    assert nuts.get("Stockholm") == "SE11"


def test_projects_per_owner(fresh_db: FreshDb, loaded: list[ProjectRecord]) -> None:
    expected = Counter((r.owner_org_number, r.owner) for r in loaded)
    rows = run(fresh_db.engine, readme_queries()[1])
    assert {(org, owner): n for org, owner, n, _total in rows} == dict(expected)
    assert [n for _org, _owner, n, _total in rows] == sorted(expected.values(), reverse=True)


def test_projects_active_on_a_date(fresh_db: FreshDb, loaded: list[ProjectRecord]) -> None:
    day = dt.date(2020, 6, 1)
    expected = sorted(
        (r.start_date, r.title)
        for r in loaded
        if r.start_date and r.end_date and r.start_date <= day <= r.end_date
    )
    rows = run(fresh_db.engine, readme_queries()[2])
    got = [(_as_date(start), title) for _period, _number, title, _owner, start, _end in rows]
    assert got == expected
    assert len(got) >= 3


def _as_date(value: Any) -> dt.date:
    """SQLite hands dates back as ISO text to raw SQL; PostgreSQL as dates."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
