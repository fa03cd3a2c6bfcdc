"""HTML → visible text lines: innerText's line breaking, without the page chrome."""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.monkeypatch import MonkeyPatch

from parsers import html_text
from parsers.html_text import visible_text


def lines_of(body: str, head: str = "") -> tuple[str, ...]:
    return visible_text(f"<html><head>{head}</head><body>{body}</body></html>").lines


def test_inline_elements_glue_and_block_elements_break_lines() -> None:
    body = (
        "<h1>Visioncenter</h1>"
        "<div><span>Beviljat ESF-stöd</span><span>221&nbsp;114 kr</span></div>"
        "<p>Ett <strong>stycke</strong> med <a href='#'>länk</a><br>och en ny rad</p>"
    )
    assert lines_of(body) == (
        "Visioncenter",
        "Beviljat ESF-stöd221\u00a0114 kr",
        "Ett stycke med länk",
        "och en ny rad",
    )


def test_table_cells_come_out_as_label_tab_value_and_list_items_get_bullets() -> None:
    body = (
        "<table><tr><th>Region:</th><td> Stockholm </td></tr>"
        "<tr><th>Fond:</th><td>ESF+</td></tr></table>"
        "<ul><li>Bjuv</li><li>• Lund</li></ul>"
    )
    assert lines_of(body) == ("Region:\tStockholm", "Fond:\tESF+", "• Bjuv", "• Lund")


def test_scripts_navigation_cookie_banners_and_hidden_elements_are_dropped() -> None:
    body = (
        "<script>var x = '<p>nej</p>';</script><style>p{}</style><noscript>Aktivera JS</noscript>"
        "<header><a>Logga</a></header><nav><a>Meny</a></nav>"
        "<div id='cookie-consent'><p>Vi använder kakor</p></div>"
        "<div hidden>dold</div><div style='display: none'>dold</div><p aria-hidden='true'>dold</p>"
        "<div class='visually-hidden'>skärmläsartext</div>"
        "<article><header><h1>Rubrik</h1></header><p>Text <!-- kommentar -->kvar</p></article>"
        "<footer>Sidfot</footer>"
    )
    assert lines_of(body) == ("Rubrik", "Text kvar")


def test_a_page_with_one_main_element_is_read_from_it_alone() -> None:
    body = "<div class='top'>Sök stöd</div><main><h1>Titel</h1><p>Text</p></main>Ut<p>Ut</p>"
    assert lines_of(body) == ("Titel", "Text")


def test_canonical_link_else_og_url_is_the_source_url() -> None:
    canonical = (
        '<link rel="canonical" href="https://www.esf.se/a/"><meta property="og:url" content="x">'
    )
    assert visible_text(f"<html><head>{canonical}</head></html>").canonical_url == (
        "https://www.esf.se/a/"
    )
    og = '<meta property="og:url" content="https://www.esf.se/b/">'
    assert visible_text(f"<html><head>{og}</head></html>").canonical_url == "https://www.esf.se/b/"
    relative = '<base href="https://www.esf.se/"><link rel="canonical" href="/c/">'
    assert visible_text(f"<html><head>{relative}</head></html>").canonical_url == (
        "https://www.esf.se/c/"
    )


def test_a_list_item_holding_a_paragraph_keeps_its_bullet_on_the_text() -> None:
    assert lines_of("<ul><li><p>Bjuv</p></li><li><div><p>Lund</p></div></li></ul>") == (
        "• Bjuv",
        "• Lund",
    )


def test_main_is_not_trusted_alone_when_the_heading_sits_outside_it() -> None:
    body = "<div class='hero'><h1>25-023-S02 - Arbetscoacher</h1></div><main><p>Text</p></main>"
    assert lines_of(body) == ("25-023-S02 - Arbetscoacher", "Text")


FIXTURES = Path(__file__).parent / "fixtures"
HTML_PAGES = sorted(p for p in FIXTURES.rglob("*.htm*") if p.is_file())


@pytest.mark.parametrize("path", HTML_PAGES, ids=lambda p: p.name)
def test_libxslt_gives_the_reference_walks_lines(path: Path, monkeypatch: MonkeyPatch) -> None:
    """The fast walk (libxslt) and the element-by-element walk it replaces agree on real
    markup; the reference walk still reads the pages the fast one leaves to it."""
    data = path.read_bytes()
    markup = data.decode("utf-8", errors="replace")
    try:
        fast = visible_text(markup)
    except ValueError:
        return  # unreadable for both: the same error either way
    monkeypatch.setattr(html_text, "_reserved", lambda utf8: True)
    assert fast == visible_text(markup)


def test_a_vertical_tab_or_a_private_use_character_is_read_as_before() -> None:
    # Whitespace collapses piece by piece around a vertical tab (the reference walk's way).
    assert lines_of("<p>a\n<span>x</span>\x0by z</p>") == ("a x\x0by z",)
    assert lines_of("<p>a\n<span>x</span>&#11;y</p>") == ("a x\x0by",)
    # A page's own U+E000/U+E001 are text, not the fast walk's break and tab marks.
    assert lines_of("<p>a\ue000b</p><p>c&#xE001;d</p>") == ("a\ue000b", "c\ue001d")


def test_the_main_element_read_alone_keeps_its_own_block_and_bullet() -> None:
    assert lines_of("<div>Meny</div><li role='main'>Bjuv</li>") == ("• Bjuv",)


# Attributes that make an element chrome, or nearly do: case, spacing, Unicode case folding
# (`ſ`, `ı`, the Kelvin sign), whole class tokens against substrings, class against id.
_CHROME_ATTRIBUTES = {
    "hidden": True,
    "hidden=''": True,
    "aria-hidden='true'": True,
    "aria-hidden='TRUE'": False,
    "aria-hidden='false'": False,
    "role='navigation'": True,
    "role='Navigation'": False,
    "role='alertdialog'": True,
    "role='main navigation'": False,
    "style='DISPLAY : None'": True,
    "style='color: red; visibility:\u00a0hidden'": True,
    "style='display:block'": False,
    "style='display-none'": False,
    "style=''": False,
    "class='COOKIE-notice'": True,
    "class='conſent'": True,
    "class='coo\u212aie'": True,
    "class='skıplink'": True,
    "class='v\u0130sually-hidden'": False,
    "class='skip-links'": True,
    "class='skip--links'": False,
    "class='Site-Header wide'": True,
    "class='site-headers'": False,
    "class='x-header'": False,
    "class='main\u2003MENU'": True,
    "class='mainmenu2'": False,
    "id='HEADER'": True,
    "id='breadcrumbs'": True,
    "class='top' id='footer'": True,
    "class='topmenu' id='x'": True,
    "lang='sv' title='menu'": False,
}


def test_the_fast_walk_drops_exactly_the_elements_the_attribute_rules_name(
    monkeypatch: MonkeyPatch,
) -> None:
    body = "".join(
        f"<div {attributes}>text {index}</div>"
        for index, attributes in enumerate(_CHROME_ATTRIBUTES)
    )
    kept = tuple(
        f"text {index}" for index, chrome in enumerate(_CHROME_ATTRIBUTES.values()) if not chrome
    )
    assert lines_of(body) == kept
    assert lines_of(f"<main>{body}</main>") == kept
    monkeypatch.setattr(html_text, "_reserved", lambda utf8: True)  # the reference walk
    assert lines_of(body) == kept
    assert lines_of(f"<main>{body}</main>") == kept


def test_the_first_link_naming_canonical_and_the_first_base_with_an_href_count() -> None:
    head = (
        '<link rel="" href="/empty/"><link rel="alternate" href="/alt/">'
        '<link rel="Alternate CANONICAL" href=""><link rel="Alternate CANONICAL" href=" /c/ ">'
        '<base target="_top"><base href=""><base href="https://www.esf.se/x/">'
    )
    # `<base href="">` is the first base with an href: the link stays relative to it.
    assert visible_text(f"<html><head>{head}</head></html>").canonical_url == "/c/"
    og = '<meta property="og:title" content="T"><meta property="OG:URL" content="/d/">'
    base = '<base target="_top"><base href="https://www.esf.se/x/">'
    assert visible_text(f"<html><head>{og}{base}</head></html>").canonical_url == (
        "https://www.esf.se/d/"
    )


def test_whitespace_collapses_line_by_line_as_the_reference_walk_collapses_it(
    monkeypatch: MonkeyPatch,
) -> None:
    body = (
        "<p> \u00a0 a \n\t b \u00a0\r\n</p>\n  <div>\f c\u2003 \u2003d  </div>"
        "<table><tr><th> x \n  y </th><td>\u00a0</td><td> \t z\u00a0 </td></tr></table>"
        "<ul><li>\n  <p> e  f </p></li></ul>"
    )
    fast = lines_of(body)
    assert fast == ("a b", "c\u2003 \u2003d", "x y\tz", "• e f")
    monkeypatch.setattr(html_text, "_reserved", lambda utf8: True)
    assert lines_of(body) == fast
