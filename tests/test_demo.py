"""`esfbank demo` crawls the bundled fixture site with no network and loads every page of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from esfbank.fixture_site import FixtureSite
from tests.plugins.site import esfbank, query

pytestmark = pytest.mark.crawl


def test_demo_loads_every_manifest_page_and_shows_a_query(tmp_path: Path) -> None:
    db_file = tmp_path / "demo.sqlite"
    args = ("demo", "--db-file", str(db_file), "--archive", str(tmp_path / "archive"))
    done = esfbank(*args, check_exit=0)

    with FixtureSite() as site:
        projects = sum(1 for p in site.manifest if p.kind == "project")
        news = sum(1 for p in site.manifest if p.kind == "news")
    assert f"MANIFEST.json lists {projects} project and {news} news pages; " in done.stdout
    assert f"{projects + news} of them loaded with that kind" in done.stdout
    assert "missing or misdetected" not in done.stdout
    assert "a sample record" in done.stdout
    assert "SELECT programme_period, region" in done.stdout
    db_url = f"sqlite:///{db_file}"
    assert query(db_url, "SELECT COUNT(*) FROM projects") == [(projects,)]
    assert query(db_url, "SELECT COUNT(*) FROM news_articles") == [(news,)]

    # Fresh each time: a second demo replaces the database instead of adding a run to it.
    esfbank(*args, check_exit=0)
    assert query(db_url, "SELECT COUNT(*) FROM crawl_runs") == [(1,)]
