"""Discovery rules: robots.txt Sitemap lines, sitemaps with lastmod, listings, seed lists."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler import discovery
from crawler.context import CrawlContext, CrawlOptions, Mode
from crawler.middlewares import HostSpacing
from crawler.spiders.esf import EsfSpider
from parsers.detect import kind_from_url

BASE = "http://127.0.0.1:8123"


def test_robots_sitemap_lines_are_absolute_and_rebased() -> None:
    robots = (
        "User-agent: *\nDisallow: /intern/\n"
        "Sitemap: https://www.esf.se/sitemap.xml\nsitemap: /sitemaps/nyheter.xml\n"
        "Sitemap: https://www.esf.se/sitemap.xml\n"
    )
    assert discovery.robots_sitemaps(robots, BASE) == [
        f"{BASE}/sitemap.xml",
        f"{BASE}/sitemaps/nyheter.xml",
    ]


def test_real_site_links_stay_when_crawling_the_real_site() -> None:
    url = "https://www.esf.se/nyheter/a/#top"
    assert discovery.rebase(url, "https://www.esf.se") == "https://www.esf.se/nyheter/a/"
    assert discovery.allowed_domains("https://www.esf.se") == ["esf.se", "www.esf.se"]
    assert discovery.allowed_domains(BASE) == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "listing", "page"),
    [
        (f"{BASE}/resultat/projektbanken/?page=2", True, False),
        (f"{BASE}/resultat/projektbanken/projekt/?dnr=2019/00145", False, True),
        (f"{BASE}/resultat/projektbanken/projekt/?page=3&dnr=22-005-S01", False, True),
        (f"{BASE}/Resultat/Projektbanken-2014-2020/Alla-Projekt/", True, False),
        (f"{BASE}/Resultat/Projektbanken-2014-2020/Alla-Projekt/Steg-for-steg/", False, True),
        (f"{BASE}/sv/Resultat/Projektbanken/Behallare-for-projekt/Stockholm/Klara/", False, True),
        (f"{BASE}/nyheter/", True, False),
        (f"{BASE}/nyheter/ny-utlysning/", False, True),
        (f"{BASE}/om-oss/kontakt/", False, False),
    ],
)
def test_listing_and_page_urls(url: str, listing: bool, page: bool) -> None:
    assert discovery.is_listing(url) is listing
    assert discovery.is_page(url) is page


def test_followable_stays_on_site_and_skips_assets() -> None:
    domains = ["127.0.0.1"]
    assert discovery.followable(f"{BASE}/nyheter/a/", domains)
    assert not discovery.followable("http://example.org/nyheter/a/", domains)
    assert not discovery.followable(f"{BASE}/nyheter/a/bild.png", domains)
    assert not discovery.followable("mailto:info@esf.se", domains)


def test_seed_list_takes_urls_paths_and_project_numbers(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(
        "# nightly re-check\n2019/00145\n\n22-005-S01  # ESF+\n"
        "https://www.esf.se/nyheter/a/\n/projekt/arbetscoacher\n",
        encoding="utf-8",
    )
    assert discovery.read_seeds(seeds, BASE) == [
        f"{BASE}/resultat/projektbanken/projekt/?dnr=2019/00145",
        f"{BASE}/resultat/projektbanken/projekt/?dnr=22-005-S01",
        f"{BASE}/nyheter/a/",
        f"{BASE}/projekt/arbetscoacher",
    ]


def test_a_bad_seed_line_names_file_line_and_value(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("2019/00145\nprojekt 7\n", encoding="utf-8")
    with pytest.raises(discovery.SeedError, match=r"seeds.txt:2: seed 'projekt 7'"):
        discovery.read_seeds(seeds, BASE)
    with pytest.raises(discovery.SeedError, match="cannot read"):
        discovery.read_seeds(tmp_path / "missing.txt", BASE)


URL_CHARS = "abcXYZ019-._~%/?&=;#:@!$'()*+, \t\n[]\\"


@given(
    base=st.sampled_from(["http://127.0.0.1:8123", "https://www.esf.se", "HTTP://Example.org"]),
    rest=st.text(alphabet=URL_CHARS, max_size=30),
)
def test_plain_urls_take_the_shortcut_to_the_same_answer(base: str, rest: str) -> None:
    """The shortcuts of on_site and canonical give what urljoin/urlsplit would have."""
    for href in (base + rest, base + "/" + rest, rest):
        try:
            expected = discovery.rebase(urljoin(base, href), base)
        except ValueError:  # e.g. an unbalanced "[" read as an IPv6 host
            with pytest.raises(ValueError, match="IPv6"):
                discovery.on_site(href, base)
            continue
        assert discovery.on_site(href, base) == expected
        parts = urlsplit(expected)
        slow = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
        assert discovery.canonical(expected) == slow


@pytest.mark.parametrize(
    ("path", "listing", "page", "family"),
    [
        ("/om-esf-radet/aktuellt/", True, False, "news listing"),
        ("/om-esf-radet/aktuellt/page/10/", True, False, "paged archive"),
        ("/nyheter/page/2/", True, False, "paged archive"),  # a listing, never an article
        ("/resultat/projektbanken/", True, False, "project bank listing"),
        ("/resultat/projektbanken/projekt/?dnr=2018/00566", False, True, "project ?dnr= 2014-2020"),
        ("/resultat/projektbanken/projekt/?dnr=22-005-S01", False, True, "project ?dnr= 2021-2027"),
        ("/nyheter/en-nyhet/", False, True, "news"),
        ("/Min-region/Stockholm/Utlysningar1/Utlysning/?sourceId=1", False, False, "call"),
        ("/sok/?q=projekt", False, False, "project bank page"),
        ("/om-webbplatsen/", False, False, "other page"),
    ],
)
def test_the_shared_url_shapes(path: str, listing: bool, page: bool, family: str) -> None:
    """One table (parsers.url_shapes) decides discovery's listings/pages and detection's kind."""
    url = BASE + path
    assert discovery.is_listing(url) is listing
    assert discovery.is_page(url) is page
    assert discovery.family(url) == family


def test_paged_archives_are_detected_as_listings() -> None:
    assert kind_from_url("https://www.esf.se/om-esf-radet/aktuellt/page/10/") == "listing"
    assert kind_from_url("https://www.esf.se/nyheter/page/3/") == "listing"
    assert kind_from_url("https://www.esf.se/nyheter/en-nyhet/") == "news"


def test_crawl_delay_for_our_agent_else_for_all() -> None:
    robots = "User-agent: *\nCrawl-delay: 2\n\nUser-agent: esfbank\nCrawl-delay: 5\nDisallow:\n"
    assert discovery.crawl_delay(robots, "esfbank/0.1 (research crawler)") == 5.0
    assert discovery.crawl_delay(robots, "otherbot") == 2.0
    assert discovery.crawl_delay("User-agent: *\nDisallow: /sok/\n", "esfbank") is None


def test_host_spacing_books_requests_crawl_delay_apart() -> None:
    """Requests made at once (concurrency 2) start `delay` apart; a late one goes at once."""
    spacing = HostSpacing()
    assert spacing.book("esf.se", 2.0, now=100.0) == 0.0
    assert spacing.book("esf.se", 2.0, now=100.0) == 2.0
    assert spacing.book("esf.se", 2.0, now=100.5) == 3.5
    assert spacing.book("other.se", 2.0, now=100.5) == 0.0
    assert spacing.book("esf.se", 2.0, now=200.0) == 0.0


@pytest.mark.parametrize("mode", ["full", "discover"])
def test_enqueue_queues_each_url_once_and_notes_it(mode: Mode) -> None:
    """A crawl notes a queued URL as listed (so not removed); a dry run notes its source."""
    context = CrawlContext(
        options=CrawlOptions(base_url=BASE, mode=mode),
        archive=None,
        store=None,
        run_id=0,
        found={} if mode == "discover" else None,
    )
    spider = EsfSpider(context=context)
    page = f"{BASE}/resultat/projektbanken/projekt/?dnr=22-005-S01"
    spider.enqueue([(page, None), (page + "#top", "2024-01-01")], "imported list")
    spider.enqueue([(page, None)], "news text")
    assert spider.waiting == 1
    if mode == "discover":
        assert context.found == {page: "imported list"}
    else:
        assert context.listed == {page}
