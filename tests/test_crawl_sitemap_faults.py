"""A sitemap that robots.txt or an index names and that cannot be read ends the run incomplete:
exit 1, one stderr line naming the sitemap and the problem, and no page flagged removed.

One good crawl of the fixture site; each bad shape then crawls a copy of its database against
the same site (same port, so the same URLs) with one sitemap replaced.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from esfbank.fixture_site import FixtureSite
from esfbank.fixture_site.paths import file_for
from tests.plugins.site import CrawlTarget, esfbank, query

pytestmark = pytest.mark.crawl

SITEMAP = "/sitemaps/projekt-2014-2020.xml"
INDEX = "/sitemap.xml"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


@dataclass(frozen=True)
class GoodCrawl:
    site: FixtureSite
    target: CrawlTarget
    projects: int


@pytest.fixture(scope="module")
def good_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoodCrawl]:
    tmp = tmp_path_factory.mktemp("good-crawl")
    target = CrawlTarget(f"sqlite:///{tmp / 'crawl.sqlite'}", tmp / "archive")
    with FixtureSite() as site:
        esfbank("crawl", *target.flags(site), check_exit=0)
        # robots.txt and the index both name the news sitemap: it is read once.
        assert site.hits[("/sitemaps/nyheter.xml", 200)] == 1
        ((projects,),) = query(target.db_url, "SELECT COUNT(*) FROM projects")
        assert projects > 20
        yield GoodCrawl(site, target, projects)


@pytest.fixture
def after_good_crawl(good_crawl: GoodCrawl, tmp_path: Path) -> Iterator[GoodCrawl]:
    """A copy of the good crawl's database and archive; the site's sitemaps restored after."""
    source = Path(good_crawl.target.db_url.removeprefix("sqlite:///"))
    shutil.copy(source, tmp_path / "crawl.sqlite")
    shutil.copytree(good_crawl.target.archive, tmp_path / "archive")
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")
    site = good_crawl.site
    originals = {path: site.source.read(file_for(path)) for path in (SITEMAP, INDEX)}
    site.hits.clear()
    yield GoodCrawl(site, target, good_crawl.projects)
    for path, body in originals.items():
        assert body is not None
        site.set_page(path, body)


def _index_listing(*locs: str) -> bytes:
    items = "".join(f"<sitemap><loc>{{base}}{loc}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0"?><sitemapindex {NS}>{items}</sitemapindex>'.encode()


BAD_SHAPES: dict[str, tuple[str, bytes, str]] = {
    "empty 200": (SITEMAP, b"", "empty response"),
    "html page": (
        SITEMAP,
        b"<!DOCTYPE html><html lang='sv'><body><h1>Sidan kunde inte hittas</h1></body></html>",
        "not a sitemap",
    ),
    "not xml": (SITEMAP, b"\x00\x01\x02 this is no XML \xff", "XML"),
    "xml with a dtd": (
        SITEMAP,
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "x">]>'
        b"<urlset><url><loc>{base}/a/</loc></url></urlset>",
        "DTD",
    ),
    "no entries": (SITEMAP, f"<sitemapindex {NS}></sitemapindex>".encode(), "lists no sitemap"),
    "broken gzip": (SITEMAP, gzip.compress(bytes(range(256)) * 64)[:200], "gzip"),
    "index lists itself": (INDEX, _index_listing(INDEX), "loop"),
}


@pytest.mark.parametrize("shape", sorted(BAD_SHAPES))
def test_a_bad_sitemap_fails_the_run_and_removes_nothing(
    after_good_crawl: GoodCrawl, shape: str
) -> None:
    path, body, problem = BAD_SHAPES[shape]
    site, target = after_good_crawl.site, after_good_crawl.target
    site.set_page(path, body)

    done = esfbank("crawl", *target.flags(site))

    assert done.returncode == 1, done.stdout + done.stderr
    lines = [
        line
        for line in done.stderr.splitlines()
        if line.startswith("crawl: discovery source not read:") and site.url(path) in line
    ]
    assert len(lines) == 1, done.stderr
    assert problem in lines[0], lines[0]
    assert "run incomplete" in done.stdout
    assert query(target.db_url, "SELECT COUNT(*) FROM projects WHERE removed_at IS NOT NULL") == [
        (0,)
    ]
    assert query(target.db_url, "SELECT removed FROM crawl_runs ORDER BY id DESC LIMIT 1") == [(0,)]
    assert site.hits.count(target=path) >= 1


def test_a_gzipped_sitemap_without_content_encoding_is_read(after_good_crawl: GoodCrawl) -> None:
    site, target = after_good_crawl.site, after_good_crawl.target
    original = site.source.read(file_for(SITEMAP))
    assert original is not None
    # The server fills in `{base}` only in plain bodies: do it before packing.
    site.set_page(SITEMAP, gzip.compress(original.replace(b"{base}", site.base_url.encode())))

    done = esfbank("crawl", *target.flags(site), check_exit=0)

    assert "run incomplete" not in done.stdout
    assert query(target.db_url, "SELECT COUNT(*) FROM projects WHERE removed_at IS NOT NULL") == [
        (0,)
    ]


def test_a_sitemap_over_the_page_size_cap_is_read(after_good_crawl: GoodCrawl) -> None:
    """Pages are refused over 10 MB; a sitemap may have the protocol's 50 MB."""
    site, target = after_good_crawl.site, after_good_crawl.target
    original = site.source.read(file_for(SITEMAP))
    assert original is not None
    padding = b"<!-- utfyllnad -->\n" * (11 * 2**20 // 19)
    site.set_page(SITEMAP, original.replace(b"<urlset", padding + b"<urlset", 1))

    done = esfbank("crawl", *target.flags(site), check_exit=0)

    assert "run incomplete" not in done.stdout
    assert site.hits[(SITEMAP, 200)] == 1
    assert query(target.db_url, "SELECT COUNT(*) FROM projects WHERE removed_at IS NOT NULL") == [
        (0,)
    ]


def test_a_url_scrapy_drops_unanswered_does_not_hang_the_crawl(after_good_crawl: GoodCrawl) -> None:
    """Scrapy drops a URL over 2,083 characters without calling back: the crawl still ends."""
    site, target = after_good_crawl.site, after_good_crawl.target
    original = site.source.read(file_for(SITEMAP))
    assert original is not None
    long_url = b"<url><loc>{base}/nyheter/" + b"a" * 3000 + b"/</loc></url></urlset>"
    site.set_page(SITEMAP, original.replace(b"</urlset>", long_url))

    done = esfbank("crawl", *target.flags(site))

    assert "dropped unanswered" in done.stderr, done.stdout + done.stderr
    assert query(target.db_url, "SELECT COUNT(*) FROM crawl_runs WHERE status = 'ok'") == [(2,)]


def test_nesting_stops_at_depth_three(after_good_crawl: GoodCrawl) -> None:
    """robots.txt → /sitemap.xml → deeper indexes: the third level may not list a fourth."""
    site, target = after_good_crawl.site, after_good_crawl.target
    site.set_page(INDEX, _index_listing("/sitemaps/niva-2.xml"))
    site.set_page("/sitemaps/niva-2.xml", _index_listing("/sitemaps/niva-3.xml"))
    site.set_page("/sitemaps/niva-3.xml", _index_listing(SITEMAP))

    done = esfbank("crawl", *target.flags(site))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "nested deeper than 3" in done.stderr
    assert site.hits.count(target=SITEMAP) == 0
    assert query(target.db_url, "SELECT removed FROM crawl_runs ORDER BY id DESC LIMIT 1") == [(0,)]
