"""A real page as a hostile or unlucky site could serve it (deep markup, bad bytes, a wrong
charset), for the parser, load, crawl and fuzz tests. Each variant says what must come of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from crawler.items import FetchedPage

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
PAGE = (GOLDEN / "esf2014" / "2018-00566-html.html").read_bytes()
PAGE_URL = "https://www.esf.se/resultat/projektbanken/projekt/?dnr=2018/00566"
FACTS = b'<dl class="project-facts">'


def fetched(
    url: str, body: bytes, content_type: str | None, archive_key: str | None = None
) -> FetchedPage:
    """A page as the crawl hands it on: answered 200 on 2026-01-01, without validators."""
    return FetchedPage(
        url=url,
        body=body,
        content_type=content_type,
        fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        archive_key=archive_key,
        etag=None,
        last_modified=None,
        sitemap_lastmod=None,
    )


def nested(depth: int, tag: bytes = b"font", page: bytes = PAGE) -> bytes:
    """`page` with `depth` unclosed tags opened right before its facts block."""
    at = page.index(FACTS)
    return page[:at] + (b"<" + tag + b">") * depth + page[at:]


def with_byte(page: bytes, marker: str, byte: bytes) -> bytes:
    """`page` with `byte` inserted right after the first `marker`."""
    at = page.index(marker.encode()) + len(marker.encode())
    return page[:at] + byte + page[at:]


def declaring(label: bytes, *, parity: int = 0, page: bytes = PAGE) -> bytes:
    """The UTF-8 `page` declaring charset `label`, padded to an even (0) or odd (1) length: an
    even one decodes as UTF-16 without an error."""
    page = page.replace(b'charset="utf-8"', b'charset="' + label + b'"', 1)
    return page + b" " * ((len(page) + parity) % 2)


@dataclass(frozen=True, slots=True)
class Variant:
    """The page served wrong, and what loading it over the good one must give: the same
    record (`error` None) or the good record kept; `error` starts the page error raised."""

    name: str
    body: bytes
    error: str | None
    loaded: bool  # the page still reads as its record (unchanged), else it is not loaded


VARIANTS = (
    Variant("nested-300", nested(300), None, loaded=True),
    Variant("nested-5000", nested(5000), "the markup cannot be read whole", loaded=False),
    Variant(
        "bad-byte-in-footer",
        with_byte(PAGE, "<p>Svenska ESF-r", b"\xe5"),  # "råd" with a cp1252 å, in UTF-8
        "not valid UTF-8 at byte",
        loaded=True,
    ),
    Variant(
        "declares-utf-16",
        declaring(b"utf-16"),
        None,
        loaded=True,
    ),
)
