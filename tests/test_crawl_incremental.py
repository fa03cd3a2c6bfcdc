"""End-to-end crawls of the fixture site on loopback: the first crawl loads every page, `reparse`
rebuilds the same tables from the archive, a second crawl of the unchanged site downloads no
unchanged page, and a third sees a changed page, a 410 and an unlisted page.

One first crawl is shared by the module (crawls are the slow part of the suite); the tests that
crawl again come after those that only read, and only append to what the first crawl left.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from esfbank.fixture_site import DEFAULT_ROOT, FixtureSite
from esfbank.fixture_site.paths import file_for
from load.archive import Archive
from tests.plugins.site import (
    CrawlTarget,
    esfbank,
    manifest_urls,
    query,
    table_snapshot,
    url_kinds,
)

pytestmark = pytest.mark.crawl

DISCOVERY_TARGETS = ("/robots.txt", "/sitemap.xml", "/sitemaps/")


@dataclass(frozen=True, slots=True)
class FirstCrawl:
    site: FixtureSite
    target: CrawlTarget
    snapshot: dict[str, list[tuple[Any, ...]]]
    stdout: str


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstCrawl]:
    root = tmp_path_factory.mktemp("first-crawl")
    target = CrawlTarget(f"sqlite:///{root / 'crawl.sqlite'}", root / "archive")
    with FixtureSite() as site:
        done = esfbank("crawl", *target.flags(site), check_exit=0)
        yield FirstCrawl(site, target, table_snapshot(target.db_url), done.stdout)


def _is_discovery(target: str) -> bool:
    return target.startswith(DISCOVERY_TARGETS)


def test_first_crawl_loads_every_page_of_the_manifest(first_crawl: FirstCrawl) -> None:
    expected = manifest_urls(first_crawl.site)
    loaded = url_kinds(first_crawl.target.db_url)
    assert {url: loaded.get(url) for url in expected} == expected
    projects = sum(1 for kind in expected.values() if kind == "project")
    assert query(first_crawl.target.db_url, "SELECT COUNT(*) FROM projects") == [(projects,)]
    ((status, fetched, new, failed),) = query(
        first_crawl.target.db_url, "SELECT status, fetched, new, failed FROM crawl_runs"
    )
    assert (status, failed) == ("ok", 0)
    assert new == len(expected)
    assert fetched >= len(expected)


def test_robots_disallowed_page_is_never_requested(first_crawl: FirstCrawl) -> None:
    disallowed = [p.path for p in first_crawl.site.manifest if p.kind == "robots-disallowed"]
    assert disallowed
    for path in disallowed:
        assert first_crawl.site.hits.count(target=path) == 0


def test_robots_txt_is_fetched_once_for_discovery_and_obedience(first_crawl: FirstCrawl) -> None:
    assert first_crawl.site.hits.count(target="/robots.txt") == 1


def test_every_response_is_archived_with_its_metadata(first_crawl: FirstCrawl) -> None:
    pages = Archive(first_crawl.target.archive).pages()
    for url in manifest_urls(first_crawl.site):
        entry = pages.latest[url]
        assert entry.status == 200
        assert entry.header("Content-Type")
        assert entry.body_key is not None


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_reparse_from_the_archive_gives_the_same_tables(
    first_crawl: FirstCrawl, migrated_db_url: Any, backend: str
) -> None:
    fresh = migrated_db_url(backend)
    esfbank("reparse", "--db", fresh, "--archive", str(first_crawl.target.archive), check_exit=0)
    assert _comparable(table_snapshot(fresh)) == _comparable(first_crawl.snapshot)


def _comparable(snapshot: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Booleans as SQLite stores them, so both backends compare equal."""
    return {
        table: sorted(
            (tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows), key=repr
        )
        for table, rows in snapshot.items()
    }


def test_second_crawl_of_the_unchanged_site_downloads_no_page(first_crawl: FirstCrawl) -> None:
    site, target = first_crawl.site, first_crawl.target
    before = site.hits.snapshot()
    done = esfbank("crawl", *target.flags(site), check_exit=0)
    after = site.hits.snapshot()
    new_hits = after - before

    in_sitemap = {p.path for p in site.manifest if p.sitemap is not None}
    full_pages = {t for (t, status) in new_hits if status == 200 and not _is_discovery(t)}
    assert full_pages == set(), done.stdout
    requested_in_sitemap = {t for (t, _) in new_hits if t in in_sitemap}
    assert requested_in_sitemap == set(), "pages with unchanged lastmod were requested"
    only_listed = {
        p.path for p in site.manifest if p.sitemap is None and p.kind != "robots-disallowed"
    }
    conditional = {t for (t, status) in new_hits if status == 304}
    assert conditional == only_listed

    assert table_snapshot(target.db_url) == first_crawl.snapshot
    last_run = query(
        target.db_url,
        "SELECT status, fetched, new, changed, removed, failed FROM crawl_runs ORDER BY id DESC",
    )[0]
    assert last_run == ("ok", 0, 0, 0, 0, 0)


def test_without_its_archive_a_crawl_refetches_listings_only(
    first_crawl: FirstCrawl, tmp_path: Path
) -> None:
    """Listings not re-downloaded are followed from the archive; with no archive they are
    fetched in full, so discovery stays complete and nothing is taken for removed."""
    site, target = first_crawl.site, first_crawl.target
    before = site.hits.snapshot()
    esfbank("crawl", *target.flags(site), "--archive", str(tmp_path / "empty"), check_exit=0)
    new_hits = site.hits.snapshot() - before

    downloaded = {t for (t, status) in new_hits if status == 200 and not _is_discovery(t)}
    assert downloaded == {p.path for p in site.manifest if p.kind == "listing"}
    assert table_snapshot(target.db_url) == first_crawl.snapshot
    last_run = query(target.db_url, "SELECT removed, failed FROM crawl_runs ORDER BY id DESC")
    assert last_run[0] == (0, 0)


def test_third_crawl_sees_a_change_a_410_and_an_unlisted_page(first_crawl: FirstCrawl) -> None:
    site, target = first_crawl.site, first_crawl.target
    projects = [p for p in site.manifest if p.kind == "project" and p.project_number]
    changed, gone, unlisted = projects[0], projects[1], projects[2]
    with urllib.request.urlopen(site.url(changed.path)) as response:
        html = response.read().decode("utf-8")
    site.set_page(changed.path, html.replace(changed.title or "", f"{changed.title} (reviderad)"))
    site.remove_page(gone.path, status=410)
    site.remove_page(unlisted.path, status=404, unlist=True)

    # Two of the fixture's eleven 2007–2013 pages (18 %) is more than the mass-removal guard's
    # default share of one period, which real periods dwarf.
    esfbank("crawl", *target.flags(site), "--max-removed-share", "0.25", check_exit=0)

    last_run = query(
        target.db_url, "SELECT changed, removed, failed FROM crawl_runs ORDER BY id DESC"
    )[0]
    assert last_run == (1, 2, 0)
    removed = query(
        target.db_url, "SELECT project_number FROM projects WHERE removed_at IS NOT NULL"
    )
    assert sorted(removed) == sorted([(gone.project_number,), (unlisted.project_number,)])
    versions = query(
        target.db_url,
        "SELECT COUNT(*) FROM project_versions v JOIN projects p ON p.id = v.project_id "
        f"WHERE p.project_number = '{changed.project_number}'",
    )
    assert versions == [(2,)]


@pytest.mark.postgres
def test_nightly_crawl_on_postgresql_downloads_and_writes_nothing(
    migrated_db_url: Any, tmp_path: Path
) -> None:
    target = CrawlTarget(migrated_db_url("postgresql"), tmp_path / "archive")
    with FixtureSite() as site:
        esfbank("crawl", *target.flags(site), check_exit=0)
        assert url_kinds(target.db_url).items() >= manifest_urls(site).items()
        snapshot = table_snapshot(target.db_url)
        before = site.hits.snapshot()
        esfbank("crawl", *target.flags(site), check_exit=0)
        new_hits = site.hits.snapshot() - before

    assert {t for (t, status) in new_hits if status == 200 and not _is_discovery(t)} == set()
    assert table_snapshot(target.db_url) == snapshot
    last_run = query(
        target.db_url,
        "SELECT status, fetched, new, changed, removed, failed FROM crawl_runs ORDER BY id DESC",
    )[0]
    assert last_run == ("ok", 0, 0, 0, 0, 0)


def test_a_304_for_a_moved_lastmod_is_asked_once_not_every_night(tmp_path: Path) -> None:
    """The sitemap lastmod of a page moves but its content does not: the next crawl asks with
    a conditional request (304) and keeps the new lastmod, so the crawl after skips the page."""
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")
    with FixtureSite() as site:
        esfbank("crawl", *target.flags(site), check_exit=0)
        page = next(p for p in site.manifest if p.kind == "project" and p.sitemap is not None)
        site.set_page(page.path, (DEFAULT_ROOT / file_for(page.path)).read_bytes())
        before = site.hits.snapshot()
        esfbank("crawl", *target.flags(site), check_exit=0)
        asked = site.hits.snapshot()
        assert asked.get((page.path, 304), 0) - before.get((page.path, 304), 0) == 1
        esfbank("crawl", *target.flags(site), check_exit=0)
        assert site.hits.count(target=page.path) == sum(
            n for (path, _), n in asked.items() if path == page.path
        )
