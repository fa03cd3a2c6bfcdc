"""The export's numbers as a discovery source: on a site whose sitemaps list only the news,
`import esf-export` then `crawl` loads every listed project the site serves; a number the
site answers 404 for is reported, not a failure; a number that drops out of the newest export
takes its page out."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from esfbank.fixture_site import DEFAULT_ROOT, FixtureSite, faults
from tests.plugins.site import CrawlTarget, esfbank, query

pytestmark = pytest.mark.crawl

# The project bank's own listing page names `?dnr=` pages too: not read here, so that only the
# export can lead the crawl to them.
NO_LISTINGS = {"ESFBANK_LISTING_PATHS": ""}
MISSING = "24-999-S01"  # listed by the export, not served by the site
DROPPED = "2015/00646"


@pytest.fixture
def news_only_site(tmp_path: Path) -> Iterator[FixtureSite]:
    """The fixture site, its sitemap index and robots.txt naming the news sitemap only."""
    root = tmp_path / "site"
    shutil.copytree(DEFAULT_ROOT, root)
    index = (root / "sitemap.xml").read_text(encoding="utf-8")
    kept = re.sub(r"\s*<sitemap>\s*<loc>\{base\}/sitemaps/(?!nyheter)[^<]*</loc>.*?</sitemap>",
                  "", index, flags=re.S)  # fmt: skip
    (root / "sitemap.xml").write_text(kept, encoding="utf-8")
    with FixtureSite(root) as site:
        yield site


def _numbers(site: FixtureSite) -> list[str]:
    return sorted(p.path.split("?dnr=", 1)[1] for p in site.manifest if "?dnr=" in p.path)


def _export(path: Path, numbers: list[str]) -> Path:
    path.write_text("Diarienummer / Operation ID\n" + "".join(f"{n}\n" for n in numbers))
    return path


def _loaded(db_url: str) -> dict[str, bool]:
    rows = query(db_url, "SELECT project_number, removed_at IS NOT NULL FROM projects")
    return {str(number): bool(removed) for number, removed in rows if number is not None}


def test_export_numbers_are_crawled_and_leave_with_the_export(
    news_only_site: FixtureSite, crawl_target: CrawlTarget, tmp_path: Path
) -> None:
    site, flags = news_only_site, crawl_target.flags(news_only_site)
    numbers = _numbers(site)
    assert len(numbers) == 20
    esfbank("crawl", *flags, env=NO_LISTINGS, check_exit=0)
    assert not set(_loaded(crawl_target.db_url)) & set(numbers)  # no sitemap lists them

    export = _export(tmp_path / "export.csv", [*numbers, MISSING])
    esfbank("import", "esf-export", str(export), "--db", crawl_target.db_url, check_exit=0)
    done = esfbank("crawl", *flags, env=NO_LISTINGS, check_exit=0)
    assert "1 gone (404/410)" in done.stdout
    loaded = _loaded(crawl_target.db_url)
    assert {n for n, removed in loaded.items() if not removed} >= set(numbers)
    report = esfbank("report", "--db", crawl_target.db_url)
    assert f"rows no page has: 1 ({MISSING})" in report.stdout

    # The news sitemap fails: the run is incomplete, so nothing leaves for being unlisted;
    # the number that dropped out of the newest export leaves all the same.
    site.set_fault("/sitemaps/nyheter.xml", faults.Status(404, times=10))
    newer = _export(tmp_path / "newer.csv", [n for n in numbers if n != DROPPED])
    esfbank("import", "esf-export", str(newer), "--db", crawl_target.db_url, check_exit=0)
    done = esfbank("crawl", *flags, env=NO_LISTINGS)
    assert "run incomplete" in done.stdout
    loaded = _loaded(crawl_target.db_url)
    assert loaded[DROPPED] is True
    assert not any(loaded[n] for n in numbers if n != DROPPED)
