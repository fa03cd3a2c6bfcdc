"""What a fetched page becomes: the LoadItem the store takes, or, where the parser crashes, a
failure to quarantine. Kept free of Scrapy so `reparse` and its parse workers do not import it."""

from __future__ import annotations

from crawler.items import FetchedPage, FetchFailed
from load.store.items import LoadItem
from parsers.records import Source


def load_item(page: FetchedPage) -> LoadItem:
    """The parsed record with what the fetch knew, ready for `Store.upsert`."""
    # Imported with the first page downloaded: a nightly run that downloads none is spared it.
    from parsers.decoding import header_charset  # noqa: PLC0415
    from parsers.page import parse_bytes  # noqa: PLC0415

    record = parse_bytes(
        page.body,
        Source(url=page.url),
        is_html=is_html_content_type(page.content_type) or None,
        charset=header_charset(page.content_type),
    )
    return LoadItem(
        record=record,
        url=page.url,
        fetched_at=page.fetched_at,
        archive_key=page.archive_key,
        http_status=200,
        etag=page.etag,
        last_modified=page.last_modified,
        sitemap_lastmod=page.sitemap_lastmod,
        capture_url=page.capture_url,
        captured_at=page.captured_at,
    )


def parser_crash(page: FetchedPage, exc: Exception) -> FetchFailed:
    """A page the parser crashed on, to quarantine while the run goes on (crawl and reparse)."""
    from parsers.page import crash_message  # noqa: PLC0415  (imported by the crash's parse)

    return FetchFailed(page.url, crash_message(exc), page.archive_key)


def is_html_content_type(content_type: str | None) -> bool:
    """HTML by the server's word; anything else is left for the parser to detect."""
    return content_type is not None and "html" in content_type.lower()
