"""The committed fixture site and the synthetic one: manifest, discovery paths, determinism."""

from __future__ import annotations

import filecmp
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from esfbank.fixture_site import DEFAULT_ROOT, FixtureSite
from esfbank.fixture_site.manifest import load_manifest
from esfbank.fixture_site.paths import file_for

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MANIFEST = load_manifest(DEFAULT_ROOT / "MANIFEST.json")
_HREF = re.compile(r'<li class="hit"><a href="(?:\{base\})?([^"]+)"')
_LOC = re.compile(r"<loc>\{base\}([^<]+)</loc>")


def site_text(path: str) -> str:
    return (DEFAULT_ROOT / file_for(path)).read_text(encoding="utf-8")


def test_manifest_matches_the_files() -> None:
    listed = {page.file for page in MANIFEST.pages} | {file_for(r) for r in MANIFEST.resources}
    on_disk = {
        p.relative_to(DEFAULT_ROOT).as_posix() for p in DEFAULT_ROOT.rglob("*") if p.is_file()
    }
    assert on_disk - {"MANIFEST.json"} == listed
    assert len({page.path for page in MANIFEST.pages}) == len(MANIFEST.pages)


def test_every_family_and_layout_is_there() -> None:
    kinds = {page.kind for page in MANIFEST.pages}
    assert kinds == {"project", "news", "call", "listing", "other", "robots-disallowed"}
    layouts = {(p.family, p.layout) for p in MANIFEST.pages if p.kind == "project"}
    for expected in [
        ("2007-2013", "glued"),
        ("2007-2013", "glued malformed"),
        ("2014-2020", "old"),
        ("2014-2020", "new"),
        ("2021-2027", "new"),
        ("2021-2027", "newest"),
        ("2021-2027", "slug"),
    ]:
        assert expected in layouts
    assert 40 <= len(MANIFEST.pages) <= 80
    assert any(p.path.startswith("/Resultat/") for p in MANIFEST.pages)  # 2007 without /sv/


def test_sitemaps_and_listings_agree_with_the_manifest() -> None:
    by_path = {page.path: page for page in MANIFEST.pages}
    index = _LOC.findall(site_text(MANIFEST.sitemap_index))
    in_sitemaps: dict[str, str] = {}
    for sitemap in index:
        for loc in _LOC.findall(site_text(sitemap)):
            in_sitemaps[loc] = sitemap
    listed: dict[str, set[str]] = {}
    for page in MANIFEST.pages:
        if page.kind == "listing":
            for href in _HREF.findall(site_text(page.path)):
                listed.setdefault(href.replace("&amp;", "&"), set()).add(page.path)
    for page in MANIFEST.pages:
        assert in_sitemaps.get(page.path) == page.sitemap, page.path
        assert listed.get(page.path, set()) == set(page.listed_on), page.path
    assert set(in_sitemaps) <= set(by_path)
    assert set(listed) <= set(by_path)
    content = [p for p in MANIFEST.pages if p.kind in {"project", "news"}]
    assert any(p.sitemap and not p.listed_on for p in content)  # only in a sitemap
    assert any(p.listed_on and not p.sitemap for p in content)  # only on a listing
    assert all(p.sitemap or p.listed_on for p in content)


def test_robots_disallows_the_search_page_and_nothing_else_listed() -> None:
    robots = (DEFAULT_ROOT / "robots.txt").read_text(encoding="utf-8")
    disallowed = re.findall(r"^Disallow: (\S+)", robots, re.M)
    assert re.findall(r"^Sitemap: \{base\}(\S+)", robots, re.M)[0] == MANIFEST.sitemap_index
    blocked = [p for p in MANIFEST.pages if p.kind == "robots-disallowed"]
    assert blocked
    for page in MANIFEST.pages:
        is_blocked = any(page.path.startswith(prefix) for prefix in disallowed)
        assert is_blocked == (page.kind == "robots-disallowed"), page.path
        if is_blocked:
            assert page.sitemap is None


def test_pagination_links_every_page_of_a_listing() -> None:
    assert "?page=2" in site_text("/resultat/projektbanken/")
    assert 'rel="next" href="/resultat/projektbanken/?page=3"' in site_text(
        "/resultat/projektbanken/?page=2"
    )
    assert 'rel="next"' not in site_text("/resultat/projektbanken/?page=3")


def test_synthetic_site_is_big_deterministic_and_discoverable() -> None:
    with FixtureSite(synthetic=2000, seed=7) as site, FixtureSite(synthetic=2000, seed=7) as twin:
        content = [p for p in site.manifest if p.kind in {"project", "news"}]
        assert len(content) == 2000
        numbers = [p.project_number for p in content if p.project_number]
        assert len(numbers) == len(set(numbers)) > 1200
        sitemap_locs = []
        index = urllib.request.urlopen(site.url("/sitemap.xml"), timeout=10).read().decode()
        for sitemap in re.findall(r"<loc>(.*?)</loc>", index):
            body = urllib.request.urlopen(sitemap, timeout=10).read().decode()
            sitemap_locs += re.findall(r"<loc>(.*?)</loc>", body)
        assert sorted(sitemap_locs) == sorted(site.url(p.path) for p in content)
        sample = content[123]
        body = urllib.request.urlopen(site.url(sample.path), timeout=10).read()
        again = urllib.request.urlopen(twin.url(sample.path), timeout=10).read()
        assert body.replace(site.base_url.encode(), b"") == again.replace(
            twin.base_url.encode(), b""
        )
        assert (sample.title or "").encode() in body
        listing = urllib.request.urlopen(site.url(sample.listed_on[0]), timeout=10).read()
        assert sample.path.encode() in listing


@pytest.mark.skipif(not (SHARED / "real-pages").is_dir(), reason="needs the shared page texts")
def test_builder_reproduces_the_committed_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    subprocess.run(
        [sys.executable, str(REPO / "tests/fixtures/build_site.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    comparison = filecmp.dircmp(out, DEFAULT_ROOT)
    differing = []
    stack = [comparison]
    while stack:
        current = stack.pop()
        differing += current.left_only + current.right_only + current.diff_files
        stack += current.subdirs.values()
    assert differing == []


def test_module_serves_in_the_foreground_until_interrupted() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "esfbank.fixture_site", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)/", first)
        assert match, first
        robots = urllib.request.urlopen(match.group(1) + "/robots.txt", timeout=10).read()
        assert f"Sitemap: {match.group(1)}/sitemap.xml".encode() in robots
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0


def test_synthetic_pages_can_weigh_like_real_ones() -> None:
    with FixtureSite(synthetic=40, page_kb=50) as site:
        page = next(p for p in site.manifest if p.kind == "project")
        body = urllib.request.urlopen(site.url(page.path), timeout=10).read()
    assert 50 * 1024 <= len(body) < 52 * 1024
    assert body.count(b"</head>") == 1
    assert (page.title or "").encode() in body
    with pytest.raises(ValueError, match="synthetic"):
        FixtureSite(page_kb=50)


def test_no_link_on_the_site_leads_nowhere() -> None:
    targets = {page.path for page in MANIFEST.pages} | set(MANIFEST.resources)
    dangling = set()
    for page in MANIFEST.pages:
        html = (DEFAULT_ROOT / page.file).read_bytes().decode("utf-8", errors="replace")
        for href in re.findall(r'href="(?:\{base\})?([^"]*)"', html):
            if href.replace("&amp;", "&") not in targets:
                dangling.add(f"{page.path} -> {href}")
    assert dangling == set()
