"""Discovery rules: robots.txt Sitemap lines, sitemaps with lastmod, listings, seed lists."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler import discovery

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
