"""HTML → the visible text lines a browser's `innerText` would give, plus the canonical URL.

Parsing works on visible text lines, not on markup, so a saved HTML page and the text snapshot of
the same page go through the same label extraction. Like `innerText`: block elements break lines,
inline elements do not (`<span>Beviljat ESF-stöd</span><span>221 114 kr</span>` stays glued as on
real 2007 pages), table cells are tab-separated, whitespace runs collapse (no-break spaces stay).
Unlike a browser, page chrome is dropped: scripts, navigation, site header/footer, cookie banners
and hidden elements; a page with one `<main>` element is read from it alone. List items get a
`• ` bullet, as the text snapshots render them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import urljoin

from lxml import etree

# Elements whose content is never visible text.
_INVISIBLE = frozenset(
    {
        "head",
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "object",
        "canvas",
        "select",
        "option",
        "textarea",
        "input",
        "nav",
        "dialog",
    }
)
# Site chrome when outside the page's main content (an article's own <header> holds its title).
_CHROME_OUTSIDE_CONTENT = frozenset({"header", "footer", "aside"})
_CONTENT = frozenset({"main", "article"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "dialog", "alertdialog"})
_CHROME_CLASS = re.compile(
    r"cookie|consent|gdpr|skip-?links?|breadcrumb|sr-only|visually-?hidden|screen-?reader",
    re.IGNORECASE,
)
# Whole class/id tokens of site chrome on pages without HTML5 landmarks (old templates).
_CHROME_TOKENS = frozenset(
    {"header", "site-header", "footer", "site-footer", "menu", "mainmenu", "main-menu", "topmenu"}
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BLOCK = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
        "aside",
    }
)
_CELLS = frozenset({"td", "th"})
_BREAK = "\x00"
_TAB = "\x01"
# The reference walk's patterns (a rare path: see `_RESERVED`), as text: `re` compiles them
# on first use rather than at every start-up.
_SPACES = r"[ \t\n\r\f\v]+"
_SPACE_RUNS = r"  +"
_BULLET_START = re.compile(r"^\s*[•·▪●◦‣-]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")

# lxml's plain HTML parser: lxml.html's element classes cost a Python lookup per element.
# `huge_tree` lifts libxml2's depth limit from 256 to 2048 elements: browsers read markup
# nested deeper than 256 (hundreds of unclosed `<font>` tags), so must we. Past 2048 libxml2
# still stops, and the page is refused rather than read in part (see visible_text, which reads
# the parser's error log right after each parse: no caller parses in threads). The text goes in
# as UTF-8 bytes, the encoding fixed (a page's own `<meta charset>` has had its say in decoding):
# libxml2 reads UTF-8 natively, while a str costs it a conversion (a third of the parse).
_PARSER = etree.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, huge_tree=True, encoding="utf-8"
)
_FATAL = etree.ErrorLevels.FATAL
_ADVICE = r",?\s*use XML_PARSE_HUGE option\s*$"  # libxml2 to programmers; compiled if it speaks
# Role values first: an XPath predicate on every element costs more than reading them all.
_ROLES = etree.XPath("descendant-or-self::*/@role", smart_strings=False)
_ROLE_MAIN = etree.XPath("descendant-or-self::*[@role='main']")


@dataclass(frozen=True, slots=True)
class VisibleText:
    """The visible text lines of a page (stripped, no empty lines) and its canonical URL."""

    lines: tuple[str, ...]
    canonical_url: str | None


def _is_chrome(element: etree._Element, inside_content: bool) -> bool:
    tag = element.tag
    if tag in _INVISIBLE:
        return True
    if tag in _CHROME_OUTSIDE_CONTENT and not inside_content:
        return True
    return _attributes_say_chrome(_attributes(element.items()))


def _attributes(items: Sequence[tuple[str | bytes, str | bytes]]) -> dict[str, str]:
    """An element's attributes by name (lxml gives str; its stubs allow bytes too)."""
    return cast("dict[str, str]", dict(items))


def _attributes_say_chrome(attributes: Mapping[str, str]) -> bool:
    """Hidden, a chrome role, or a chrome class/id, whatever the tag: one of its attributes
    says so (`_CHROME_ATTRIBUTES`)."""
    return any(map(_attribute_says_chrome, attributes.items()))


@functools.lru_cache(maxsize=4096)
def _chrome_mark(value: str | None) -> bool:
    """A class or id value naming site chrome (cached: templates repeat them on every page)."""
    if not value:
        return False
    marks = value.lower()
    return bool(_CHROME_CLASS.search(marks)) or not _CHROME_TOKENS.isdisjoint(marks.split())


# What each attribute says of its element, read alone: the element is chrome when one of them
# says so. Both walks read this table; the fast one looks up no other attribute.
_CHROME_ATTRIBUTES: dict[str, Callable[[str], bool]] = {
    "hidden": lambda _value: True,
    "aria-hidden": lambda value: value == "true",
    "role": _CHROME_ROLES.__contains__,
    "style": lambda value: _HIDDEN_STYLE.search(value) is not None,
    "class": _chrome_mark,
    "id": _chrome_mark,
}


@functools.lru_cache(maxsize=4096)
def _attribute_says_chrome(attribute: tuple[str, str]) -> bool:
    """Whether one (name, value) attribute marks its element chrome (`_CHROME_ATTRIBUTES`).
    Cached by the pair: templates repeat their classes and roles on every page."""
    says = _CHROME_ATTRIBUTES.get(attribute[0])
    return says is not None and says(attribute[1])


def _canonical_url(root: etree._Element) -> str | None:
    """`<link rel=canonical>`, else `og:url`; relative links resolved against `<base href>`."""
    # `iter(tag)` rather than `iterfind(".//tag[@name]")`: the same elements (the root is
    # `<html>`), without ElementPath's Python-level set-up for each search.
    url: str | None = None
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            url = (link.get("href") or "").strip()
            break
    if not url:
        for meta in root.iter("meta"):
            if (meta.get("property") or "").lower() == "og:url" and meta.get("content"):
                url = (meta.get("content") or "").strip()
                break
    if not url:
        return None
    base = next((base for base in root.iter("base") if base.get("href") is not None), None)
    if base is not None and "://" not in url:
        url = urljoin(base.get("href") or "", url)
    return url


def _main_content(root: etree._Element) -> etree._Element | None:
    """The page's one `<main>` (or role=main) element, menus and banners live outside it;
    None when there is none, or when a heading `<h1>` sits outside it (a hero banner)."""
    found = list(root.iter("main"))
    roles = _ROLES(root)
    if isinstance(roles, list) and "main" in roles:
        role_main = _ROLE_MAIN(root)
        if isinstance(role_main, list):
            found += [e for e in role_main if isinstance(e, etree._Element) and e not in found]
    if len(found) != 1 or any(_outside_main(h1) for h1 in root.iter("h1")):
        return None
    return found[0]


def _outside_main(element: etree._Element) -> bool:
    return not any(a.tag == "main" or a.get("role") == "main" for a in element.iterancestors())


def _chunks(root: etree._Element, inside_content: bool) -> list[str]:
    """Text pieces and break/tab markers in document order, chrome subtrees skipped.

    The reference walk, element by element in Python: `_marked_text` gives the same lines
    faster, and this walk reads the pages it cannot (see `_RESERVED`)."""
    out: list[str] = []
    content_depth = 1 if inside_content else 0
    skipped: etree._Element | None = None
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if element is skipped or not isinstance(tag, str):  # chrome, comments, entities
            if event == "end" and element.tail and element is not root:
                out.append(element.tail)
            continue
        if event == "start":
            if _is_chrome(element, content_depth > 0):
                skipped = element  # its "end" event comes next and emits only the tail
                walker.skip_subtree()
                continue
            if tag in _CONTENT:
                content_depth += 1
            if tag in _BLOCK or tag == "br":
                out.append(_BREAK)
            if tag in _CELLS:
                out.append(_TAB)
            if tag == "li" and not _BULLET_START.match(element.text or ""):
                out.append("• ")
            if element.text:
                out.append(element.text)
        else:
            if tag in _CONTENT:
                content_depth -= 1
            if tag in _BLOCK:
                out.append(_BREAK)
            if element.tail and element is not root:  # text after </main> is outside it
                out.append(element.tail)
    return out


def _collapse(chunk: str) -> str:
    """innerText's whitespace collapsing, skipped for the many chunks that need none (speed)."""
    if "\n" in chunk or "  " in chunk or "\t" in chunk or "\r" in chunk or "\f" in chunk:
        return re.sub(_SPACES, " ", chunk)
    return chunk


# The same walk in C: libxslt writes the text with break and tab marks (private-use characters)
# where `_chunks` puts its markers. Python only renames what the stylesheet cannot decide by
# tag: chrome by attributes or outside the content (dropped), list items that bring their own
# bullet; and it marks the `<main>` read alone. The HTML parser lower-cases every tag and
# attribute name, so these capitalised names are never a page's own.
_DROPPED = "Esfbank-chrome"
_OWN_BULLET = "Esfbank-li"
_WALK_ROOT = "Esfbank-main"  # an attribute: the element keeps its tag
_BREAK_MARK = "\ue000"
_TAB_MARK = "\ue001"
# Pages the reference walk reads: `_chunks` collapses whitespace piece by piece, which differs
# from collapsing the joined text only around a vertical tab; and a page holding the marks.
_RESERVED = (b"\x0b", b"\xee")  # a vertical tab; U+E000 to U+EFFF (the marks among them)
_RESERVED_REFERENCE = re.compile(
    rb"&#(?:0*(?:11|57344|57345)(?![0-9])|[xX]0*(?:[bB]|[eE]00[01])(?![0-9a-fA-F]))"
)


def _stylesheet(start: str) -> etree.XSLT:
    """Visible text from the elements `start` selects, with `_chunks`'s markers as marks."""

    def names(tags: Iterable[str]) -> str:
        return " | ".join(sorted(tags))

    mark = {
        _BREAK: f"<xsl:text>{_BREAK_MARK}</xsl:text>",
        _TAB: f"<xsl:text>{_TAB_MARK}</xsl:text>",
    }
    apply = "<xsl:apply-templates/>"
    templates = {
        names({*_INVISIBLE, _DROPPED}): "",
        "li": mark[_BREAK] + "<xsl:text>• </xsl:text>" + apply + mark[_BREAK],
        names(_BLOCK - {"li"} | {_OWN_BULLET}): mark[_BREAK] + apply + mark[_BREAK],
        "br": mark[_BREAK] + apply,
        names(_CELLS): mark[_TAB] + apply,
    }
    rules = "".join(
        f'<xsl:template match="{match}">{body}</xsl:template>' for match, body in templates.items()
    )
    return etree.XSLT(
        etree.XML(
            '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
            '<xsl:output method="text" encoding="utf-8"/>'
            f'<xsl:template match="/"><xsl:apply-templates select="{start}"/></xsl:template>'
            f"{rules}</xsl:stylesheet>"
        )
    )


_PAGE_TEXT = _stylesheet("node()")
_MAIN_TEXT = _stylesheet(f"descendant::*[@{_WALK_ROOT}]")


def _reserved(utf8: bytes) -> bool:
    """Whether the page may hold a character only the reference walk reads right."""
    if any(byte in utf8 for byte in _RESERVED):
        return True
    at = utf8.find(b"&")  # single bytes: found at memchr speed, unlike `&#`
    while at >= 0:
        if _RESERVED_REFERENCE.match(utf8, at):
            return True
        at = utf8.find(b"&", at + 1)
    return False


def _marked_text(root: etree._Element, main: etree._Element | None) -> str:
    """`_chunks`'s text from libxslt, whitespace runs not yet collapsed; renames elements."""
    walk = root if main is None else main
    if _is_chrome(walk, main is not None):
        return ""
    # Tags are read only where lxml's own iteration filters them (a tag read per element
    # costs), and each element's attributes are read once, as a list, not one by one. The
    # attribute rule goes last: it wins over the others.
    for element in walk.iter("li"):
        if _BULLET_START.match(element.text or ""):
            element.tag = _OWN_BULLET
    if main is None:
        for element in walk.iter(*_CHROME_OUTSIDE_CONTENT):
            if next(element.iterancestors(*_CONTENT), None) is None:
                element.tag = _DROPPED
    for element in walk.iter():
        for attribute in cast("list[tuple[str, str]]", element.items()):
            if attribute[0] in _CHROME_ATTRIBUTES and _attribute_says_chrome(attribute):
                element.tag = _DROPPED
                break
    if main is None:
        text = str(_PAGE_TEXT(root))
    else:
        main.set(_WALK_ROOT, "")
        text = str(_MAIN_TEXT(root))
    return text.replace(_BREAK_MARK, _BREAK).replace(_TAB_MARK, _TAB)


def _collapsed(text: str) -> str:
    """`re.sub(_SPACES, " ", text)`, faster: a substitution per single space costs more, and so
    does one per run of spaces (markup indentation makes hundreds a page), while each
    `replace` halves every run at C speed, a handful of passes in all."""
    for space in "\t\n\r\f\v":
        if space in text:  # most lines hold none: a search costs less than a call to replace
            text = text.replace(space, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def _lines(text: str, *, collapse: bool = False) -> tuple[str, ...]:
    """The lines of the joined text (markers in place); `collapse`: whitespace runs are still
    there, to collapse. A line stripped and then collapsed is the line collapsed and then
    stripped (no run reaches past its first or last visible character), and collapsing only
    the lines kept skips the blank pieces between blocks, most of the text."""
    lines = []
    bullet = ""
    # Blank pieces (every block breaks before and after) are dropped in C.
    for piece in filter(None, map(str.strip, text.split(_BREAK))):
        line = _collapsed(piece) if collapse else piece
        if _TAB in line:
            line = "\t".join(cell for cell in (c.strip() for c in line.split(_TAB)) if cell)
        if line == "•":  # `<li><p>text</p></li>`: the bullet belongs to the paragraph
            bullet = "• "
        elif line:
            lines.append(bullet + line)
            bullet = ""
    return tuple(lines)


def _stopped(log: etree._ListErrorLog) -> str | None:
    """Why libxml2 stopped before the end of the markup (a resource limit), if it did."""
    for entry in log:
        if entry.level == _FATAL:
            return (
                f"lxml stopped at line {entry.line}: {re.sub(_ADVICE, '', entry.message.strip())}"
            )
    return None


def visible_text(markup: str, utf8: bytes | None = None) -> VisibleText:
    """The page's visible lines and canonical URL; raises ValueError when nothing parses, or
    when the parser gave up part way (the rest of the page would be lost in silence).

    `utf8`: the markup's own UTF-8 bytes when the caller has them, so they need no encoding."""
    stripped = markup.lstrip("\ufeff")
    declaration = _XML_DECLARATION.match(stripped)  # not .sub: it would search the whole page
    if declaration is not None:
        stripped = stripped[declaration.end() :]
    if utf8 is None or len(stripped) != len(markup):
        utf8 = stripped.encode("utf-8")
    try:
        root = etree.fromstring(utf8, _PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ValueError(f"not an HTML document: {exc}") from exc
    stopped = _stopped(_PARSER.error_log)
    if stopped is not None:
        raise ValueError(f"the markup cannot be read whole: {stopped}")
    if root is None:
        raise ValueError("not an HTML document: nothing to parse")
    main = _main_content(root)
    url = _canonical_url(root)  # before _marked_text renames elements
    if _reserved(utf8):
        chunks = _chunks(root, inside_content=False) if main is None else _chunks(main, True)
        text = re.sub(_SPACE_RUNS, " ", "".join([_collapse(chunk) for chunk in chunks]))
        return VisibleText(lines=_lines(text), canonical_url=url)
    return VisibleText(lines=_lines(_marked_text(root, main), collapse=True), canonical_url=url)
