"""`esfbank report --html`: one self-contained page with inline SVG charts, the same gates and
exit code as the text report, on both backends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from esfbank.cli import main
from load.svg import bar_chart, heat_map
from tests.research_db import load_fixture_db

CHART_TITLES = (
    "Granted ESF support per region and period",
    "Projects per region and period",
    "Projects started per year",
    "Field fill rates per period (current projects)",
    "Changes of the last 10 runs",
)


def test_the_page_holds_the_charts_and_the_text_report(fresh_db, tmp_path: Path, capsys) -> None:
    load_fixture_db(fresh_db.url)
    page = tmp_path / "report.html"
    assert main(["report", "--db", fresh_db.url, "--html", str(page)]) == 0
    out = capsys.readouterr()
    html = page.read_text(encoding="utf-8")
    for title in CHART_TITLES:
        assert f"<title>{title}</title>" in html
    assert html.count("<svg ") == len(CHART_TITLES)
    assert "All quality gates passed." in html
    assert "Field fill rates of current projects" in html  # the text report, escaped in <pre>
    assert "Norra Mellansverige" in html
    assert "106.3 MSEK" in html  # granted support of the 2014-2020 projects there
    assert "run 2 (crawl, ok)" in html
    assert out.out.startswith("esfbank report: ")  # the text report still goes to stdout
    assert f"HTML report written to {page}" in out.err


def test_the_page_needs_no_network_and_no_script(fresh_db, tmp_path: Path) -> None:
    load_fixture_db(fresh_db.url)
    page = tmp_path / "report.html"
    main(["report", "--db", fresh_db.url, "--html", str(page)])
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", html)
    # the only address is SVG's namespace name, which is never fetched
    assert set(re.findall(r"https?://[^\s\"'<]+", html)) == {"http://www.w3.org/2000/svg"}


def test_a_failed_gate_fails_the_command_and_shows_on_the_page(
    fresh_db, tmp_path: Path, capsys
) -> None:
    page = tmp_path / "report.html"
    assert main(["report", "--db", fresh_db.url, "--html", str(page)]) == 1
    html = page.read_text(encoding="utf-8")
    assert "gate(s) failed: min_count.project: 0 (needs &gt;= 1)" in html
    assert "gate failed: min_count.project" in capsys.readouterr().err


def test_a_missing_folder_is_a_usage_error(tmp_path: Path, capsys) -> None:
    target = tmp_path / "no" / "report.html"
    assert (
        main(["report", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "--html", str(target)]) == 2
    )
    err = capsys.readouterr().err
    assert (
        err.strip()
        == f"esfbank report: error: --html {target}: folder {target.parent} does not exist"
    )


def test_chart_text_is_escaped() -> None:
    svg = bar_chart("<b>", [("a & b", {"x": 1.0})], ["x"])
    assert "&lt;b&gt;" in svg
    assert "a &amp; b" in svg
    grid = heat_map("t", ["<f>"], ["p"], lambda _f, _p: None)
    assert "&lt;f&gt;" in grid
    assert "–" in grid


@pytest.mark.parametrize(("share", "ink"), [(0.0, "#000000"), (1.0, "#ffffff")])
def test_a_full_cell_is_dark_with_white_figures(share: float, ink: str) -> None:
    grid = heat_map("t", ["f"], ["p"], lambda _f, _p: share)
    assert f'fill="{ink}"' in grid
    assert f"{share * 100:.0f}%" in grid
