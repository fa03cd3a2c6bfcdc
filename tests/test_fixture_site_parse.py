"""The fixture sites say what each page is (MANIFEST): the parsers must agree, page by page.

The demo's "every page loaded" and the crawl benchmark both rest on this.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable

import pytest

from esfbank.fixture_site import FixtureSite, Page
from parsers.page import parse_bytes
from parsers.records import Source, to_json_dict

# A search result page is a listing that robots.txt keeps crawlers away from.
PARSED_KIND = {"robots-disallowed": "listing"}


def disagreements(site: FixtureSite, pages: Iterable[Page]) -> list[str]:
    found = []
    for page in pages:
        url = site.url(page.path)
        body = urllib.request.urlopen(url, timeout=10).read()
        record = to_json_dict(parse_bytes(body, Source(url=url), is_html=True))
        expected: dict[str, object] = {"kind": PARSED_KIND.get(page.kind, page.kind), "errors": []}
        if page.kind in {"project", "news"}:
            expected["title"] = page.title
        if page.kind == "project":
            expected |= {"project_number": page.project_number, "programme_period": page.family}
        got = {key: record.get(key) for key in expected}
        if got != expected:
            found.append(f"{page.path}: {got} != {expected}")
    return found


def test_every_committed_page_parses_as_its_manifest_says() -> None:
    with FixtureSite() as site:
        assert disagreements(site, site.manifest) == []


@pytest.mark.parametrize("page_kb", [None, 50])
def test_synthetic_pages_parse_as_their_manifest_says(page_kb: int | None) -> None:
    with FixtureSite(synthetic=240, seed=3, page_kb=page_kb) as site:
        assert disagreements(site, site.manifest) == []
