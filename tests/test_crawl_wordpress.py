"""Discovery on a site shaped like the real, WordPress esf.se, and `esfbank discover`.

The WordPress shape is the fixture site changed the way the real one differs from it: robots.txt
names no sitemap, only `/wp-sitemap.xml` answers (an index of per-type sitemaps, as WordPress
core serves it), the news archive is paged (`/om-esf-radet/aktuellt/page/N/`), and `?dnr=`
project pages are in no sitemap: only the project bank's page and the news archive link to them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esfbank.fixture_site import FixtureSite
from esfbank.fixture_site.render import Link, render_listing
from tests.plugins.site import CrawlTarget, esfbank, query, url_kinds

pytestmark = pytest.mark.crawl

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
ARCHIVE = "/om-esf-radet/aktuellt/"
DISCOVERY_FILES = ("/robots.txt", "/wp-sitemap.xml", "/sitemap_index.xml", "/sitemap.xml")


def _sitemap(root: str, entry: str, paths: list[str]) -> str:
    items = "".join(f"<{entry}><loc>{{base}}{p}</loc></{entry}>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><{root} {NS}>{items}</{root}>'


def make_wordpress(site: FixtureSite) -> None:
    """Serve the fixture site in the real site's WordPress shape (see the module docstring)."""
    news = sorted(p.path for p in site.manifest if p.kind == "news")
    unlisted = sorted(
        p.path
        for p in site.manifest
        if p.kind == "project" and "?dnr=" in p.path and not p.listed_on
    )
    site.set_page("/robots.txt", "User-agent: *\nDisallow: /sok/\n")
    site.remove_page("/sitemap.xml")
    site.set_page(
        "/wp-sitemap.xml",
        _sitemap(
            "sitemapindex",
            "sitemap",
            ["/wp-sitemap-posts-post-1.xml", "/wp-sitemap-posts-page-1.xml"],
        ),
    )
    site.set_page("/wp-sitemap-posts-post-1.xml", _sitemap("urlset", "url", news[:2]))
    site.set_page("/wp-sitemap-posts-page-1.xml", _sitemap("urlset", "url", [ARCHIVE]))
    pages = [news[2:6], [*news[6:], *unlisted]]
    paths = [ARCHIVE, f"{ARCHIVE}page/2/"]
    for n, links in enumerate(pages):
        site.set_page(
            paths[n],
            render_listing(
                paths[n],
                "Aktuellt",
                "Nyheter från Svenska ESF-rådet.",
                [Link(p, p, absolute=True) for p in links],
                following=paths[n + 1] if n + 1 < len(paths) else None,
                previous=paths[n - 1] if n else None,
            ),
        )


def test_a_wordpress_shaped_site_is_crawled_completely(crawl_target: CrawlTarget) -> None:
    with FixtureSite() as site:
        make_wordpress(site)
        done = esfbank("crawl", *crawl_target.flags(site), check_exit=0)

        assert "run incomplete" not in done.stdout
        assert site.hits[("/wp-sitemap.xml", 200)] == 1
        assert site.hits.count(target="/sitemap_index.xml") == 0  # the first probe answered
        assert site.hits.count(target="/sitemap.xml") == 0
        loaded = url_kinds(crawl_target.db_url)
        wanted = {
            site.url(p.path): p.kind
            for p in site.manifest
            if p.kind == "news" or (p.kind == "project" and "?dnr=" in p.path)
        }
        assert {u: loaded.get(u) for u in wanted} == wanted
        assert loaded[site.url(f"{ARCHIVE}page/2/")] == "listing"  # never an article
        assert loaded[site.url(ARCHIVE)] == "listing"


def test_probes_go_on_past_a_404_and_a_page_that_is_no_sitemap(crawl_target: CrawlTarget) -> None:
    with FixtureSite() as site:
        make_wordpress(site)
        site.set_page("/wp-sitemap.xml", "<!DOCTYPE html><html><body>Hem</body></html>")
        site.set_page(
            "/sitemap.xml", _sitemap("sitemapindex", "sitemap", ["/wp-sitemap-posts-post-1.xml"])
        )
        done = esfbank("crawl", *crawl_target.flags(site), check_exit=0)
        assert "run incomplete" not in done.stdout
        assert site.hits[("/sitemap_index.xml", 404)] == 1
        assert site.hits[("/sitemap.xml", 200)] == 1
        assert site.hits[("/wp-sitemap-posts-post-1.xml", 200)] == 1


def test_no_sitemap_anywhere_is_a_discovery_failure(crawl_target: CrawlTarget) -> None:
    with FixtureSite() as site:
        esfbank("crawl", *crawl_target.flags(site), check_exit=0)
        site.set_page("/robots.txt", "User-agent: *\nDisallow: /sok/\n")
        site.remove_page("/sitemap.xml")
        done = esfbank("crawl", *crawl_target.flags(site))
        assert done.returncode == 1, done.stdout + done.stderr
        assert "no Sitemap line, and none of /wp-sitemap.xml" in done.stderr
    removed = query(crawl_target.db_url, "SELECT COUNT(*) FROM url_state WHERE removed")
    assert removed == [(0,)]


def _requested(site: FixtureSite) -> set[str]:
    """Pages and listings the site was asked for (not robots.txt or sitemaps)."""
    return {
        site.url(target)
        for target in site.hits.targets()
        if target not in DISCOVERY_FILES and not target.endswith(".xml")
    }


@pytest.mark.parametrize("shape", ["fixture", "wordpress"])
def test_discover_lists_what_a_crawl_then_requests(
    crawl_target: CrawlTarget, tmp_path: Path, shape: str
) -> None:
    unused_db, unused_archive = tmp_path / "never.sqlite", tmp_path / "never-archive"
    env = {"ESFBANK_DB": f"sqlite:///{unused_db}", "ESFBANK_ARCHIVE": str(unused_archive)}
    with FixtureSite() as site:
        if shape == "wordpress":
            make_wordpress(site)
        flags = ["--base-url", site.base_url, "--no-autothrottle", "--download-delay", "0"]
        listed = esfbank("discover", *flags, "--format", "jsonl", env=env, check_exit=0)
        found = [json.loads(line) for line in listed.stdout.splitlines()]
        summary = esfbank("discover", *flags, env=env, check_exit=0)
        site.hits.clear()
        esfbank("crawl", *crawl_target.flags(site), check_exit=0)
        requested = _requested(site)

    urls = {row["url"] for row in found}
    assert len(urls) == len(found)
    assert urls == requested
    assert not unused_db.exists()  # a dry run writes nothing
    assert not unused_archive.exists()
    assert f"discover: {len(found)} URLs a crawl would request" in summary.stdout
    families = {row["family"] for row in found}
    assert {"news", "project ?dnr= 2021-2027"} <= families
    assert "from sitemaps" in summary.stdout
    assert "from listing pages" in summary.stdout
