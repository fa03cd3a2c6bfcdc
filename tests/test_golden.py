"""Golden pages: every page under tests/fixtures/golden/<family>/ parses to its expected record.

Text fixtures are copies of the seeds and real page snapshots. HTML pages are reconstructions
built around real texts (page chrome, cookie banner, the markup each layout would use); one
named `<slug>-html.html` beside `<slug>.txt` must parse to the same record as that text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parsers.page import parse_path
from parsers.records import to_json_dict

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "fixtures" / "golden"
PAGES = sorted(p for p in GOLDEN.rglob("*") if p.suffix in (".txt", ".html"))
HTML_PAGES = [p for p in PAGES if p.suffix == ".html"]


def text_twin(html: Path) -> Path:
    return html.with_name(html.name.removesuffix(".html").removesuffix("-html") + ".txt")


HTML_TWINS = [p for p in HTML_PAGES if text_twin(p).exists()]


def parse_golden(page: Path) -> dict[str, Any]:
    return to_json_dict(parse_path(page, display_path=page.relative_to(REPO).as_posix()))


def expected_path(page: Path) -> Path:
    return page.with_name(f"{page.stem}.expected.json")


def test_golden_pages_cover_every_family() -> None:
    families = {p.parent.name for p in PAGES}
    assert families >= {"esf2007", "esf2014", "esfplus2021", "news", "call", "listing", "other"}
    for family in families:
        assert sum(1 for p in HTML_PAGES if p.parent.name == family) >= 2, family


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(GOLDEN).as_posix())
def test_golden_page(page: Path, update_golden: bool) -> None:
    record = parse_golden(page)
    expected = expected_path(page)
    if update_golden:
        expected.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert expected.exists(), f"{expected.name} missing: run pytest --update-golden and review"
    assert record == json.loads(expected.read_text("utf-8"))


@pytest.mark.parametrize("html", HTML_TWINS, ids=lambda p: p.relative_to(GOLDEN).as_posix())
def test_html_and_text_of_a_page_give_the_same_record(html: Path) -> None:
    from_html, from_text = parse_golden(html), parse_golden(text_twin(html))
    del from_html["source_path"], from_text["source_path"]
    assert from_html == from_text
