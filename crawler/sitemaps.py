"""Reading one sitemap: bytes in, its entries out, or `UnreadableSitemapError` saying why not.

A sitemap that robots.txt or an index names and that cannot be read is a discovery failure (the
run is incomplete and removes nothing), so this reader is strict about what counts as read and
never lets another exception escape:
- gzip is recognised by its magic bytes (a `.xml.gz` served without Content-Encoding), and
  unpacked to at most the protocol's 50 MB;
- empty bytes, bytes that are not XML, XML with a DTD (entity declarations included: nothing is
  expanded or fetched), a root other than `<urlset>` / `<sitemapindex>` (an HTML page), and an
  index or a URL set whose entries name no `<loc>` are unreadable;
- a well-formed `<urlset>` with no `<url>` at all is a sitemap of nothing (a WordPress sitemap of
  an empty post type), not a failure.

lxml's iterparse keeps memory flat on a 50,000-URL file: each entry is dropped once read.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from io import BytesIO

from lxml import etree

from crawler.discovery import on_site

GZIP_MAGIC = b"\x1f\x8b"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's limit, uncompressed
URLSET, INDEX = "urlset", "sitemapindex"
_ENTRY = {URLSET: "url", INDEX: "sitemap"}


class UnreadableSitemapError(ValueError):
    """The bytes are no sitemap we can read; the message says why, for the run's report."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """A `<loc>` of a sitemap; `lastmod` exactly as written (compared as text, never guessed)."""

    loc: str
    lastmod: str | None


@dataclass(frozen=True, slots=True)
class ParsedSitemap:
    is_index: bool
    entries: tuple[SitemapEntry, ...]


def read_sitemap(body: bytes, base_url: str) -> ParsedSitemap:
    """A sitemap index (`<sitemap>` children) or a URL set (`<url>` children) with lastmod."""
    if body[:2] == GZIP_MAGIC:
        body = _gunzip(body)
    if not body.strip():
        raise UnreadableSitemapError("empty response")
    if len(body) > MAX_SITEMAP_BYTES:
        raise UnreadableSitemapError(f"larger than {MAX_SITEMAP_BYTES // 2**20} MB")
    try:
        root, elements, entries = _parse(body, base_url)
    except etree.LxmlError as exc:
        raise UnreadableSitemapError(f"not well-formed XML: {_first_line(exc)}") from None
    except (ValueError, LookupError) as exc:  # bad encodings and the like, from lxml
        raise UnreadableSitemapError(f"not readable XML: {_first_line(exc)}") from None
    if elements and not entries:
        raise UnreadableSitemapError(f"no usable <loc> in its {elements} <{_ENTRY[root]}> entries")
    if root == INDEX and not entries:
        raise UnreadableSitemapError("a sitemap index that lists no sitemap")
    return ParsedSitemap(is_index=root == INDEX, entries=tuple(entries))


def _gunzip(body: bytes) -> bytes:
    """Unpack gzip, refusing more than the protocol allows (a small file may unpack to GBs)."""
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(body, MAX_SITEMAP_BYTES + 1)
    except zlib.error as exc:
        raise UnreadableSitemapError(f"broken gzip: {exc}") from None
    if len(data) > MAX_SITEMAP_BYTES:
        raise UnreadableSitemapError(f"larger than {MAX_SITEMAP_BYTES // 2**20} MB unpacked")
    if not unpacker.eof:
        raise UnreadableSitemapError("broken gzip: truncated")
    return data


def _parse(body: bytes, base_url: str) -> tuple[str, int, list[SitemapEntry]]:
    """(root name, entry elements seen, entries with a usable loc); raises on anything that is
    not a sitemap. A loc that is no URL (`http://[x`) is skipped like a missing one."""
    events = etree.iterparse(
        BytesIO(body),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    root: str | None = None
    elements = 0
    found: list[SitemapEntry] = []
    for event, element in events:
        if root is None:
            root = _check_root(element)
            continue
        parent = element.getparent()
        if event != "end" or parent is None or parent.getparent() is not None:
            continue  # only the root's children are entries
        if isinstance(element.tag, str) and etree.QName(element).localname == _ENTRY[root]:
            elements += 1
            loc, lastmod = _fields(element)
            url = _url(loc, base_url) if loc else None
            if url is not None:
                found.append(SitemapEntry(url, lastmod))
            element.clear()
            _drop_read_siblings(element)
    if root is None:  # lxml raises first on a document without a root; kept for the type
        raise UnreadableSitemapError("no root element")
    return root, elements, found


def _url(loc: str, base_url: str) -> str | None:
    try:
        return on_site(loc, base_url)
    except ValueError:  # urllib's verdict on a malformed host such as `http://[x`
        return None


def _check_root(element: etree._Element) -> str:
    name = etree.QName(element).localname if isinstance(element.tag, str) else ""
    if name not in _ENTRY:
        raise UnreadableSitemapError(f"not a sitemap: root element <{name}>")
    if element.getroottree().docinfo.doctype:  # type: ignore[attr-defined]
        raise UnreadableSitemapError("XML with a DTD (<!DOCTYPE>): refused")
    return name


def _fields(entry: etree._Element) -> tuple[str | None, str | None]:
    values: dict[str, str] = {}
    for child in entry:
        if isinstance(child.tag, str):
            name = etree.QName(child).localname
            if name in {"loc", "lastmod"} and name not in values:
                values[name] = (child.text or "").strip()
    return values.get("loc") or None, values.get("lastmod") or None


def _drop_read_siblings(element: etree._Element) -> None:
    """Free entries already read, so a 50,000-entry file never sits whole in memory."""
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
