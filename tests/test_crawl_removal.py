"""Which pages a crawl of the fixture site may flag removed, end to end.

- The redesign: the sitemap index lists only the news and the project bank's listing pages are
  gone; the crawl after must not flag the projects removed (the mass-removal guard refuses,
  says so, records it and exits 1), unless told to with `--allow-mass-removal`.
- The guard counts per family: all of one period going is refused though under the site's share.
- Project numbers become `?dnr=` pages: those a news article mentions are requested; a `?dnr=`
  page no discovery source lists is asked again each night and never removed for that, only
  by a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from esfbank.fixture_site import DEFAULT_ROOT, FixtureSite
from esfbank.fixture_site.paths import file_for
from tests.plugins.db import BACKENDS
from tests.plugins.site import CrawlTarget, esfbank, query

pytestmark = pytest.mark.crawl

DNR = "/resultat/projektbanken/projekt/?dnr="
NEWS_ONLY_INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sitemaps/nyheter.xml</loc></sitemap>
</sitemapindex>
"""
REFUSED = "crawl: error: removals refused: "


def _removed_projects(db_url: str) -> set[str]:
    rows = query(db_url, "SELECT source_url FROM projects WHERE removed_at IS NOT NULL")
    return {str(url) for (url,) in rows}


def _last_run(db_url: str) -> tuple[object, ...]:
    sql = "SELECT removed, removals_withheld, removal_refusal FROM crawl_runs ORDER BY id DESC"
    return query(db_url, sql)[0]


def test_a_redesign_flags_no_project_removed_until_told_to(tmp_path: Path) -> None:
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")
    with FixtureSite() as site:
        esfbank("crawl", *target.flags(site), check_exit=0)
        site.set_page("/sitemap.xml", NEWS_ONLY_INDEX.format(base=site.base_url))
        bank_listings = [
            p.path
            for p in site.manifest
            if p.kind == "listing" and "projektbanken" in p.path.lower()
        ]
        assert len(bank_listings) >= 3
        for path in bank_listings:
            site.remove_page(path, status=404)

        refused = esfbank("crawl", *target.flags(site))

        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert _removed_projects(target.db_url) == set()
        assert query(target.db_url, "SELECT COUNT(*) FROM url_state WHERE removed") == [(0,)]
        (line,) = [ln for ln in refused.stderr.splitlines() if ln.startswith(REFUSED)]
        removed, withheld, refusal = _last_run(target.db_url)
        assert removed == 0
        assert isinstance(withheld, int)
        assert withheld > 0
        assert line == REFUSED + str(refusal)
        assert f"{withheld} pages would be flagged removed" in line
        assert "2007-2013 project pages" in line
        assert "--allow-mass-removal" in line

        esfbank("crawl", *target.flags(site), "--allow-mass-removal", check_exit=0)

        # The projects only the bank's listings and sitemaps named are flagged; `?dnr=` pages,
        # which the real site lists nowhere, were asked again and are still there.
        slug_projects = {
            site.url(p.path) for p in site.manifest if p.kind == "project" and DNR not in p.path
        }
    assert _removed_projects(target.db_url) == slug_projects
    assert _last_run(target.db_url)[1:] == (0, None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_all_of_one_period_going_is_refused_though_under_the_share_of_the_site(
    backend: str, migrated_db_url: Callable[[str], str], tmp_path: Path
) -> None:
    target = CrawlTarget(migrated_db_url(backend), tmp_path / "archive")
    with FixtureSite() as site:
        esfbank("crawl", *target.flags(site), check_exit=0)
        period = [p.path for p in site.manifest if "/Behallare-for-projekt/" in p.path]
        projects = [p for p in site.manifest if p.kind == "project" and p.path in period]
        for path in period:
            site.remove_page(path, status=404, unlist=True)
        live = query(target.db_url, "SELECT COUNT(*) FROM url_state WHERE NOT removed")[0][0]
        share = len(period) / live
        assert len(projects) == 11
        assert share < 0.3

        done = esfbank("crawl", *target.flags(site), env={"ESFBANK_MAX_REMOVED_SHARE": "0.3"})

    assert done.returncode == 1, done.stdout + done.stderr
    assert "of the 11 live 2007-2013 project pages, more than the limit of 30.0%" in done.stderr
    assert "live pages;" not in done.stderr  # the site as a whole was within the share
    assert _removed_projects(target.db_url) == set()


def test_reparse_keeps_the_removals_a_crawl_refused_until_told_to(tmp_path: Path) -> None:
    """The archive holds the 404s a refused crawl fetched: reparsing it must not flag them
    behind the guard's back. It refuses as the crawl did, and flags them when told to."""
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")
    reparse = ("reparse", "--db", target.db_url, "--archive", str(target.archive), "--jobs", "1")
    with FixtureSite() as site:
        esfbank("crawl", *target.flags(site), check_exit=0)
        period = [p.path for p in site.manifest if "/Behallare-for-projekt/" in p.path]
        for path in period:
            site.remove_page(path, status=404)  # still listed: a backfill fetches the 404s
        assert esfbank("backfill", *target.flags(site)).returncode == 1  # refused

    refused = esfbank(*reparse)

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert _removed_projects(target.db_url) == set()
    (line,) = [
        ln
        for ln in refused.stderr.splitlines()
        if ln.startswith("reparse: error: removals refused: ")
    ]
    removed, withheld, refusal = _last_run(target.db_url)
    assert (removed, withheld) == (0, 11)  # the period's project pages; its listings are other
    assert line.endswith(str(refusal))
    assert "of the 11 live 2007-2013 project pages" in line

    raised = esfbank(*reparse, env={"ESFBANK_MAX_REMOVED_SHARE": "1"}, check_exit=0)
    assert "11 removed (404/410)" in raised.stdout
    assert _last_run(target.db_url) == (11, 0, None)
    assert query(target.db_url, "SELECT COUNT(*) FROM url_state WHERE removed") == [(11,)]
    removed_projects = _removed_projects(target.db_url)
    assert removed_projects  # those with no other live URL
    assert all("/Behallare-for-projekt/" in url for url in removed_projects)


def test_reparse_takes_the_guard_s_flags(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    (archive / "index").mkdir(parents=True)
    db = f"sqlite:///{tmp_path / 'x.sqlite'}"
    done = esfbank("reparse", "--db", db, "--archive", str(archive), "--max-removed-share", "2")
    assert done.returncode == 2
    assert "--max-removed-share / ESFBANK_MAX_REMOVED_SHARE 2.0: a fraction from 0 to 1" in (
        done.stderr
    )
    bad_env = esfbank(
        "reparse", "--db", db, "--archive", str(archive), env={"ESFBANK_MAX_REMOVED_SHARE": "lots"}
    )
    assert bad_env.returncode == 2
    assert "ESFBANK_MAX_REMOVED_SHARE='lots'" in bad_env.stderr
    allowed = esfbank("reparse", "--db", db, "--archive", str(archive), "--allow-mass-removal")
    assert allowed.returncode == 0, allowed.stderr


def _numbered_page(template: str, old: str, new: str) -> bytes:
    """A project page of the fixture under another project number."""
    html = (DEFAULT_ROOT / file_for(DNR + template)).read_bytes()
    assert old.encode() in html
    return html.replace(old.encode(), new.encode())


NEWS = "/nyheter/kommande-utlysningar-i-smaland-och-oarna/"
MENTIONED = {"2017/00999": ("2018/00566", "2018/00566"), "23-999-S01": ("22-005-S01", "22-005-S01")}


def _mention_numbers(site: FixtureSite) -> None:
    """A news article names two projects whose `?dnr=` pages nothing else lists."""
    html = (DEFAULT_ROOT / file_for(NEWS)).read_text(encoding="utf-8")
    mention = "<p>Läs om projekten 2017/00999 och 23-999-S01.</p>\n</article>"
    site.set_page(NEWS, html.replace("</article>", mention))
    for number, (template, old) in MENTIONED.items():
        site.set_page(DNR + number, _numbered_page(template, old, number))


def test_numbers_a_news_article_mentions_become_dnr_pages_asked_each_night(
    tmp_path: Path,
) -> None:
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")
    with FixtureSite() as site:
        _mention_numbers(site)
        esfbank("crawl", *target.flags(site), check_exit=0)
        # The `/` of a 2014–2020 number is sent raw.
        assert site.hits[(DNR + "2017/00999", 200)] == 1
        assert site.hits[(DNR + "23-999-S01", 200)] == 1
        numbers = query(target.db_url, "SELECT project_number FROM projects")
        assert {("2017/00999",), ("23-999-S01",)} <= set(numbers)

        # Nothing lists them and the article is not downloaded again: they are asked anyway,
        # conditionally, and stay.
        esfbank("crawl", *target.flags(site), check_exit=0)
        assert site.hits[(DNR + "2017/00999", 304)] == 1
        assert site.hits[(DNR + "23-999-S01", 304)] == 1
        assert site.hits[(NEWS, 200)] == 1
        assert _removed_projects(target.db_url) == set()

        # A `?dnr=` page leaves by a 404.
        site.remove_page(DNR + "23-999-S01", status=404)
        esfbank("crawl", *target.flags(site), check_exit=0)
        assert _removed_projects(target.db_url) == {site.url(DNR + "23-999-S01")}


def test_a_seed_list_run_follows_no_number_a_news_article_mentions(tmp_path: Path) -> None:
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"{NEWS}\n", encoding="utf-8")
    with FixtureSite() as site:
        _mention_numbers(site)
        esfbank("crawl", *target.flags(site), "--urls", str(seeds), check_exit=0)
        assert site.hits[(NEWS, 200)] == 1
        assert not [t for t in site.hits.targets() if t.startswith(DNR)]
