"""Page text → HTML in the shapes esf.se uses, for the committed fixture site and synthetic pages.

The input is a text snapshot of a real page (its visible lines). Each layout wraps the same lines
in the markup its family really has, quirks kept: 2007 pages glue label and value in adjacent
spans; old 2014–2020 pages put label and value on separate block lines without a colon; the newer
`?dnr=` layout has a `Label:` block then a value block (empty when the site leaves it empty).
Chrome before the title (print logo, covid banner, cookie box) stays visible text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from esfbank.fixture_site.paths import BASE_PLACEHOLDER

B = BASE_PLACEHOLDER

# Labels of 2007–2013 pages, as glued to their values ("Beviljat ESF-stöd221 114 kr").
GLUED_LABELS = (
    "Programområde",
    "Projektfas",
    "Projektägare",
    "Kontaktperson",
    "E-post",
    "Telefonnummer",
    "Beviljat ESF-stöd",
    "Total projektbudget",
    "Projektperiod",
    "Region",
)
CHROME_LINES = frozenset(
    {
        "Logotyp på utskrifter",
        "Information med anledning av covid-19",
        "Uppdaterad information med anledning av covid-19",
        "Stäng",
        "3 december - Webbinarium om fattigdom i dagens Sverige",
        "Mer information och anmälan.",
        "information (1)",
        "Cookies",
        "Lär dig mer",
    }
)
_BULLET = re.compile(r"^\s*•\s*")
_NEWS_DATE = re.compile(
    r"^\d{1,2} (?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|"
    r"november|december),? \d{4}$|^(?:Januari|Februari|Mars|April|Maj|Juni|Juli|Augusti|"
    r"September|Oktober|November|December) \d{4}$"
)


@dataclass(frozen=True, slots=True)
class PageText:
    """A text snapshot cut into its parts: chrome, title, label/value fields, body lines."""

    chrome: tuple[str, ...]
    title: str
    fields: tuple[tuple[str, str], ...]  # (label, value); value "" when the page leaves it empty
    body: tuple[str, ...]  # the rest, blank lines kept ("")


def _e(text: str) -> str:
    return escape(text, quote=False)


def _page(path: str, title: str, chrome: str, main: str, *, charset: str = "utf-8") -> str:
    """The page skeleton: head with canonical link, site header and nav, chrome, main, footer."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="sv">\n<head>\n<meta charset="{charset}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)} - Svenska ESF-rådet</title>\n"
        f'<link rel="canonical" href="{B}{escape(path)}">\n'
        '<link rel="stylesheet" href="/static/site.css">\n'
        "<script>window.dataLayer = window.dataLayer || [];</script>\n"
        "</head>\n<body>\n"
        '<header class="site-header"><a class="logo" href="{base}/">Svenska ESF-rådet</a>\n'
        '<nav aria-label="Huvudmeny"><ul>'
        '<li><a href="/resultat/projektbanken/">Projektbanken</a></li>'
        '<li><a href="/nyheter/">Nyheter</a></li>'
        '<li><a href="/sok/?q=projekt">Sök</a></li></ul></nav></header>\n'
        f"{chrome}"
        f'<main id="content">\n{main}</main>\n'
        '<footer class="site-footer"><p>Svenska ESF-rådet, Box 47141, 100 74 Stockholm</p>'
        '<p><a href="{base}/om-webbplatsen/">Om webbplatsen</a></p></footer>\n'
        "</body>\n</html>\n"
    )


def render_chrome(lines: Sequence[str], *, cookie_class: str) -> str:
    """Lines before the title as the boxes they come from; `cookie_class` picks whether the
    cookie box is marked as one (`cookie-consent`, dropped by careful parsers) or not."""
    if not lines:
        return ""
    out = []
    rest = list(lines)
    if "Cookies" in rest:
        start = max(rest.index("Cookies") - 1, 0)
        end = rest.index("Lär dig mer") + 1 if "Lär dig mer" in rest else len(rest)
        box = rest[start:end]
        del rest[start:end]
        inner = "".join(
            f'<a href="/om-webbplatsen/">{_e(x)}</a>'
            if x == "Lär dig mer"
            else f"<h2>{_e(x)}</h2>"
            if x == "Cookies"
            else f"<p>{_e(x)}</p>"
            for x in box
        )
        out.append(f'<div class="{cookie_class}">{inner}</div>\n')
    for line in rest:
        if line == "Logotyp på utskrifter":
            out.append(f'<div class="print-logo">{_e(line)}</div>\n')
        elif line == "Stäng":
            out.append(
                f'<div class="notice-close"><button type="button">{_e(line)}</button></div>\n'
            )
        else:
            out.append(f'<div class="notice"><a href="{B}/om-webbplatsen/">{_e(line)}</a></div>\n')
    return f'<div class="site-notices">\n{"".join(out)}</div>\n'


def render_body(lines: Sequence[str]) -> str:
    """Blank-separated blocks: a lone short line is a heading, `•` lines a list, whitespace-only
    lines an empty paragraph (`&nbsp;`), up to three consecutive lines one paragraph broken by
    `<br>`, more a `<div>` of paragraphs (CMS output mixes both)."""
    out: list[str] = []
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line == "":
            blocks.append([])
        else:
            blocks[-1].append(line)
    for block in (b for b in blocks if b):
        if all(_BULLET.match(x) for x in block):
            items = "".join(f"<li>{_e(_BULLET.sub('', x))}</li>\n" for x in block)
            out.append(f"<ul>\n{items}</ul>\n")
        elif len(block) == 1 and _is_heading(block[0]):
            out.append(f"<h2>{_e(block[0])}</h2>\n")
        elif len(block) == 1 and not block[0].strip():
            out.append("<p>&nbsp;</p>\n")
        else:
            out.append(_paragraph(block))
    return "".join(out)


def _paragraph(block: Sequence[str]) -> str:
    parts: list[str] = []
    for line in block:
        if _BULLET.match(line):
            parts.append(f"<ul><li>{_e(_BULLET.sub('', line))}</li></ul>")
        else:
            parts.append(f"<p>{_e(line)}</p>" if len(block) > 3 else _e(line))
    if len(block) > 3:
        return f'<div class="text">{"".join(parts)}</div>\n'
    return "<p>" + "<br>\n".join(parts) + "</p>\n"


def _is_heading(line: str) -> bool:
    return 0 < len(line) <= 70 and not re.search(r"[.:,;!?]\s*$", line) and line[0].isupper()


def render_fields(layout: str, fields: Iterable[tuple[str, str]]) -> str:
    """The label/value block in the markup of each layout."""
    if layout == "glued":
        rows = "".join(
            f'<div class="fact"><span class="lbl">{_e(label)}</span>'
            f"<span>{_e(value)}</span></div>\n"
            for label, value in fields
        )
        return f'<div class="project-facts">\n{rows}</div>\n'
    if layout in {"old", "call"}:
        rows = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>\n" for label, value in fields)
        return f'<dl class="project-facts">\n{rows}</dl>\n'
    rows = "".join(
        f'<div class="field"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div></div>\n'
        for label, value in fields
    )
    return f'<div class="project-info">\n{rows}</div>\n'


def render_text_page(
    path: str, text: PageText, layout: str, *, cookie_class: str, charset: str = "utf-8"
) -> str:
    """A project, call or news page from its text, in the markup of `layout`; `charset` is only
    declared (in a meta tag): encoding the page is the caller's business."""
    chrome = render_chrome(text.chrome, cookie_class=cookie_class)
    main = [f"<h1>{_e(text.title)}</h1>\n"]
    body = list(text.body)
    if layout == "news" and body and _NEWS_DATE.match(body[0]):
        main.append(f'<p class="published"><time>{_e(body.pop(0))}</time></p>\n')
    if text.fields:
        main.append(render_fields(layout, text.fields))
    if layout == "glued" and body and body[0] == "In English":
        body.pop(0)
        main.append('<p class="lang"><a href="/in-english/">In English</a></p>\n')
    if layout == "slug":
        main.extend(f"<p>{_e(x)}</p>\n" for x in body if x)
    else:
        main.append(render_body(body))
    article = f'<article class="{layout}">\n{"".join(main)}</article>\n'
    return _page(path, text.title, chrome, article, charset=charset)


def is_chrome_line(line: str) -> bool:
    """A line of the banners and boxes that real pages show above the title."""
    return line in CHROME_LINES or line.startswith("Den här hemsidan använder cookies")


def split_text(lines: Sequence[str], layout: str) -> PageText:
    """Cut snapshot lines into chrome, title, fields and body for `layout`."""
    i = 0
    while i < len(lines) and (not lines[i].strip() or is_chrome_line(lines[i].strip())):
        i += 1
    head = tuple(x.strip() for x in lines[:i] if x.strip())
    title = lines[i].strip()
    rest = list(lines[i + 1 :])
    while rest and not rest[0].strip():
        rest.pop(0)
    fields: list[tuple[str, str]] = []
    if layout == "glued":
        while rest and (label := _glued_label(rest[0])):
            fields.append((label, rest.pop(0)[len(label) :]))
    elif layout in {"old", "call"}:
        while len(rest) > 1 and rest[0].strip() and rest[1].strip():
            fields.append((rest.pop(0), rest.pop(0)))
    elif layout in {"new", "newest"}:
        while rest and rest[0].endswith(":"):
            label = rest.pop(0)
            value = "" if not rest or rest[0].endswith(":") or not rest[0].strip() else rest.pop(0)
            fields.append((label, value))
    return PageText(chrome=head, title=title, fields=tuple(fields), body=tuple(rest))


def _glued_label(line: str) -> str | None:
    return next((label for label in GLUED_LABELS if line.startswith(label)), None)


# -- discovery pages: listings, sitemaps, robots.txt ----------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    href: str  # a path; written absolute (`{base}` + path) when `absolute`
    text: str
    absolute: bool = False


def render_listing(
    path: str,
    title: str,
    intro: str,
    links: Sequence[Link],
    *,
    previous: str | None = None,
    following: str | None = None,
    pages: Sequence[tuple[int, str]] = (),
    shown: tuple[int, int, int] | None = None,
) -> str:
    """A listing page: "Visar 1–8 av 22" when `shown` (first, last, total) is given, its links
    one `<li>` a line, then pagination (numbers, previous, next). Without `shown` it is just a
    page of links (home, about)."""
    items = "".join(
        f'<li class="hit"><a href="{B if link.absolute else ""}{escape(link.href)}">'
        f"{_e(link.text)}</a></li>\n"
        for link in links
    )
    nav = []
    if previous:
        nav.append(f'<a rel="prev" href="{escape(previous)}">Föregående</a>')
    nav.extend(f'<a href="{escape(href)}">{n}</a>' for n, href in pages)
    if following:
        nav.append(f'<a rel="next" href="{escape(following)}">Nästa</a>')
    pager = f'<div class="pagination">{" ".join(nav)}</div>\n' if nav else ""
    search = '<p><a href="/sok/?q=projekt">Sök bland projekten</a></p>\n'
    if shown is not None:
        search += f'<p class="hit-count">Visar {shown[0]}–{shown[1]} av {shown[2]}</p>\n'
    main = (
        f"<h1>{_e(title)}</h1>\n<p>{_e(intro)}</p>\n{search}"
        f'<ul class="hits">\n{items}</ul>\n{pager}'
    )
    return _page(path, title, "", main)


def render_sitemap(entries: Sequence[tuple[str, str]]) -> str:
    """A sitemap: (path, lastmod) pairs; `<loc>` absolute through the placeholder."""
    urls = "".join(
        f"  <url>\n    <loc>{B}{escape(path)}</loc>\n    <lastmod>{lastmod}</lastmod>\n  </url>\n"
        for path, lastmod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
    )


def render_sitemap_index(entries: Sequence[tuple[str, str]]) -> str:
    maps = "".join(
        f"  <sitemap>\n    <loc>{B}{escape(path)}</loc>\n    <lastmod>{lastmod}</lastmod>\n"
        "  </sitemap>\n"
        for path, lastmod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{maps}'
        "</sitemapindex>\n"
    )


def render_robots(disallowed: Sequence[str], sitemaps: Sequence[str]) -> str:
    lines = ["# Svenska ESF-rådet", "User-agent: *"]
    lines += [f"Disallow: {path}" for path in disallowed]
    lines += ["", *(f"Sitemap: {B}{path}" for path in sitemaps)]
    return "\n".join(lines) + "\n"
