"""In a real headless browser, as a researcher uses them: `esfbank serve` (home page, a search
in the UI, a project's row) and the HTML report. Screenshots are taken and must show something.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esfbank.cli import main
from load.engine import create_engine
from load.migrate import upgrade
from tests.plugins.browser import png_is_blank, screenshot
from tests.research_db import load_fixture_db

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def golden_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("browser") / "golden.sqlite"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    load_fixture_db(url)
    return url


@pytest.fixture(scope="module")
def served(golden_db: str) -> Iterator[str]:
    """`esfbank serve` in its own process on a free port; its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "esfbank", "serve", "--db", golden_db, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once the socket listens
        assert line.startswith("esfbank serve: Datasette on http://"), line
        yield line.split(" on ", 1)[1].split()[0].rstrip("/")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _text(browser: Any) -> str:
    text: str = browser.find_element("tag name", "body").text
    return text


def test_serve_home_page(browser: Any, served: str, tmp_path: Path) -> None:
    browser.get(served + "/")
    text = _text(browser)
    assert "esfbank: the project bank of Svenska ESF-rådet" in text
    assert "Search projects and news" in text
    assert "Code: MIT. Data: public records of Svenska ESF-rådet" in text
    assert not png_is_blank(screenshot(browser, tmp_path / "serve-home.png"))


def test_search_in_the_ui_then_open_a_project(browser: Any, served: str, tmp_path: Path) -> None:
    browser.get(served + "/golden/search")
    box = browser.find_element("css selector", "input[name=q]")
    box.send_keys("arbetslösa ungdomar")
    box.submit()
    text = _text(browser)
    assert "Värmlands framtid" in text  # "arbetslösheten", "ungdomar": inflections found
    assert "Startelvan" in text
    assert "Kvinnors etablering" not in text  # no ungdomar there
    marks = [m.text.lower() for m in browser.find_elements("css selector", "mark")]
    assert "ungdomar" in marks
    assert any(m.startswith("arbetslös") for m in marks)
    assert not png_is_blank(screenshot(browser, tmp_path / "serve-search.png", full_page=True))

    link = browser.find_element("xpath", "//tr[td[contains(., 'Värmlands framtid')]]//a")
    link.click()
    row = _text(browser)
    assert "Värmlands framtid" in row
    assert "2015/00439" in row
    assert "Norra Mellansverige" in row
    assert not png_is_blank(screenshot(browser, tmp_path / "serve-project.png"))


def test_the_html_report(browser: Any, golden_db: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert main(["report", "--db", golden_db, "--html", str(page)]) == 0
    browser.get(page.as_uri())
    text = _text(browser)
    assert "All quality gates passed." in text
    for title in ("Granted ESF support per region and period", "Projects started per year"):
        assert title in text
    assert "Norra Mellansverige" in text
    assert "106.3 MSEK" in text
    data = screenshot(browser, tmp_path / "report.png", full_page=True)
    assert not png_is_blank(data)


def test_a_blank_page_is_told_from_a_drawn_one(browser: Any, tmp_path: Path) -> None:
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    browser.get(blank.as_uri())
    assert png_is_blank(browser.get_screenshot_as_png())
