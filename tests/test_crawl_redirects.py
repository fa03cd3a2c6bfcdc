"""Redirected pages on a nightly crawl: a URL that 301s to a project page is remembered with
where it leads (url_state.redirected_to), so the next night skips it (sitemap lastmod unchanged)
or asks for it with the target's validators (a 304 through the redirect) instead of downloading
the target again; a changed target is downloaded once; a URL that stops redirecting gets its
own state back.

Two old addresses of the fixture site are moved, each test on its own site and database: one a
sitemap lists (with a lastmod, on no listing), one a listing links to (in no sitemap).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from esfbank.fixture_site import DEFAULT_ROOT, FixtureSite
from esfbank.fixture_site import faults as f
from esfbank.fixture_site.manifest import Page
from esfbank.fixture_site.paths import file_for
from tests.plugins.site import CrawlTarget, esfbank, query, table_snapshot

pytestmark = pytest.mark.crawl

ALL_PROJECTS = "/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/"
IN_SITEMAP = f"{ALL_PROJECTS}Dalarnas-framtid/"  # listed in a sitemap, linked from no listing
ON_LISTING = f"{ALL_PROJECTS}Varmlands-framtid-II/"  # linked from a listing, in no sitemap
DISCOVERY_TARGETS = ("/robots.txt", "/sitemap.xml", "/sitemaps/")


@dataclass(frozen=True, slots=True)
class Move:
    """An old address that now 301s to a new one serving its page."""

    old: str
    new: str
    page: Page

    @property
    def number(self) -> str:
        assert self.page.project_number is not None
        return self.page.project_number


@dataclass(frozen=True, slots=True)
class Moved:
    site: FixtureSite
    target: CrawlTarget
    moves: tuple[Move, Move]  # (the sitemap's, the listing's)

    def crawl(self) -> Counter[tuple[str, int]]:
        """Crawl the site; the requests it answered during this crawl."""
        before = self.site.hits.snapshot()
        # Two moved addresses are 13 % of the fixture's 15 pages of 2014–2020: more than the
        # mass-removal guard's default share of one period, which real periods dwarf.
        flags = (*self.target.flags(self.site), "--max-removed-share", "0.25")
        esfbank("crawl", *flags, check_exit=0)
        return self.site.hits.snapshot() - before

    def url_state(self, path: str) -> tuple[Any, ...]:
        """(redirected_to, http_status, carries a project, removed) of a path's url_state row."""
        rows = query(
            self.target.db_url,
            "SELECT redirected_to, http_status, project_id IS NOT NULL, removed FROM url_state"
            f" WHERE url = '{self.site.url(path)}'",
        )
        assert len(rows) == 1, f"{path}: {rows}"
        ((redirected_to, status, carries, removed),) = rows
        return (redirected_to, status, bool(carries), bool(removed))

    def versions(self, move: Move) -> int:
        ((count,),) = query(
            self.target.db_url,
            "SELECT COUNT(*) FROM project_versions v JOIN projects p ON p.id = v.project_id"
            f" WHERE p.project_number = '{move.number}'",
        )
        return int(count)

    def last_run(self) -> tuple[Any, ...]:
        return query(
            self.target.db_url,
            "SELECT status, fetched, new, changed, removed, failed FROM crawl_runs"
            " ORDER BY id DESC",
        )[0]


def _original(path: str) -> bytes:
    return (DEFAULT_ROOT / file_for(path)).read_bytes()


def _revised(html: bytes, page: Page) -> bytes:
    assert page.title
    assert page.title.encode() in html
    return html.replace(page.title.encode(), f"{page.title} (reviderad)".encode())


def _downloaded(hits: Counter[tuple[str, int]]) -> set[str]:
    """Pages (not robots.txt or sitemaps) answered with a 200 body."""
    return {t for (t, status) in hits if status == 200 and not t.startswith(DISCOVERY_TARGETS)}


@pytest.fixture
def moved(tmp_path: Path) -> Iterator[Moved]:
    """The fixture site with both addresses moved (301), crawled once."""
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")
    with FixtureSite() as site:
        pages = {p.path: p for p in site.manifest}
        sitemap_page, listing_page = pages[IN_SITEMAP], pages[ON_LISTING]
        assert (sitemap_page.sitemap is not None, sitemap_page.listed_on) == (True, ())
        assert (listing_page.sitemap, listing_page.listed_on) == (None, (ALL_PROJECTS,))
        moves = (
            Move(IN_SITEMAP, f"{ALL_PROJECTS}dalarnas-framtid-2/", sitemap_page),
            Move(ON_LISTING, f"{ALL_PROJECTS}varmland-2/", listing_page),
        )
        for move in moves:
            site.set_page(move.new, _original(move.old))
            site.set_fault(move.old, f.Redirect(move.new, status=301))
        state = Moved(site, target, moves)
        first = state.crawl()
        for move in moves:
            assert first[(move.old, 301)] == 1
            assert first[(move.new, 200)] == 1
        yield state


def test_first_crawl_loads_the_targets_and_remembers_where_old_addresses_lead(
    moved: Moved,
) -> None:
    for move in moved.moves:
        assert moved.url_state(move.old) == (moved.site.url(move.new), 301, False, False)
        assert moved.url_state(move.new) == (None, 200, True, False)
        assert query(
            moved.target.db_url,
            f"SELECT removed_at FROM projects WHERE project_number = '{move.number}'",
        ) == [(None,)]
    projects = sum(1 for p in moved.site.manifest if p.kind == "project")
    assert query(moved.target.db_url, "SELECT COUNT(*) FROM projects") == [(projects,)]
    assert moved.last_run()[-1] == 0


def test_second_crawl_of_the_unchanged_site_downloads_no_redirected_page(moved: Moved) -> None:
    (in_sitemap, on_listing) = moved.moves
    snapshot = table_snapshot(moved.target.db_url)

    hits = moved.crawl()

    assert _downloaded(hits) == set()
    # The sitemap's old address is skipped by its lastmod; the listing's is asked with its
    # target's validators and costs a 301 and a 304.
    assert (hits[(in_sitemap.old, 301)], hits[(in_sitemap.new, 304)]) == (0, 0)
    assert (hits[(on_listing.old, 301)], hits[(on_listing.new, 304)]) == (1, 1)
    assert table_snapshot(moved.target.db_url) == snapshot
    assert moved.last_run() == ("ok", 0, 0, 0, 0, 0)
    assert query(moved.target.db_url, "SELECT url FROM url_state WHERE removed") == []
    for move in moved.moves:
        assert moved.url_state(move.old) == (moved.site.url(move.new), 301, False, False)
        assert moved.url_state(move.new) == (None, 200, True, False)


def test_a_changed_target_is_downloaded_once_and_versioned_once(moved: Moved) -> None:
    (in_sitemap, on_listing) = moved.moves
    for move in moved.moves:
        moved.site.set_page(move.new, _revised(_original(move.old), move.page))
    moved.site.touch(in_sitemap.old)  # the sitemap says its page changed

    hits = moved.crawl()

    assert {t: hits[(t, 200)] for t in _downloaded(hits)} == {
        in_sitemap.new: 1,
        on_listing.new: 1,
    }
    assert moved.last_run() == ("ok", 2, 0, 2, 0, 0)
    assert [moved.versions(move) for move in moved.moves] == [2, 2]
    # The new lastmod was stored with the old address: the night after downloads nothing.
    assert _downloaded(moved.crawl()) == set()
    assert [moved.versions(move) for move in moved.moves] == [2, 2]


def test_an_address_that_stops_redirecting_gets_its_own_state_again(moved: Moved) -> None:
    (in_sitemap, on_listing) = moved.moves
    moved.site.clear_faults()
    # The sitemap's old address serves its page again, the very bytes its target serves: the
    # target's ETag matches, but a 304 from another URL proves nothing, so it is asked in full.
    moved.site.touch(in_sitemap.old)
    # The listing's old address serves a page of its own.
    moved.site.set_page(on_listing.old, _revised(_original(on_listing.old), on_listing.page))

    hits = moved.crawl()

    assert (hits[(in_sitemap.old, 304)], hits[(in_sitemap.old, 200)]) == (1, 1)
    assert hits[(on_listing.old, 200)] == 1
    assert _downloaded(hits) == {in_sitemap.old, on_listing.old}
    for move in moved.moves:
        assert moved.url_state(move.old) == (None, 200, True, False)
        # The new address is linked from nowhere now: flagged removed, its project is not
        # (the old address carries it).
        assert moved.url_state(move.new)[-1] is True
        assert query(
            moved.target.db_url,
            f"SELECT removed_at FROM projects WHERE project_number = '{move.number}'",
        ) == [(None,)]


def test_a_target_gone_behind_a_redirect_is_removed_and_asked_again_in_full(
    moved: Moved,
) -> None:
    on_listing = moved.moves[1]
    moved.site.remove_page(on_listing.new, status=410)

    hits = moved.crawl()

    assert (hits[(on_listing.old, 301)], hits[(on_listing.new, 410)]) == (1, 1)
    assert moved.url_state(on_listing.old) == (moved.site.url(on_listing.new), 301, False, False)
    assert moved.url_state(on_listing.new)[-1] is True
    assert query(
        moved.target.db_url,
        f"SELECT removed_at IS NOT NULL FROM projects WHERE project_number = '{on_listing.number}'",
    ) == [(1,)]
    assert moved.last_run()[4] == 1
