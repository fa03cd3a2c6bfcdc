"""The export's summaries are HTML fragments: kept as text, one line per paragraph or item."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")


def html_to_text(markup: str | None) -> str | None:
    """Visible text of an HTML fragment, block elements on lines of their own, bullets as
    `- `; plain text is only tidied. None for nothing."""
    if markup is None or not markup.strip():
        return None
    if "<" not in markup:
        return _tidy(markup)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(markup)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
            if element.tag == "li":
                element.text = "- " + (element.text or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str | None:
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line) or None
