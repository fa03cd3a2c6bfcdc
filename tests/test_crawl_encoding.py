"""A site that compresses its pages (as real sites do): the archive keeps the page as served,
decoded, so `reparse` reads HTML and not gzip bytes. A site whose pages hold a bad byte or
declare the wrong charset: the crawl and `reparse` read them the same way, as browsers would."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from load.archive import Archive
from tests.hostile_pages import PAGE, declaring, with_byte
from tests.plugins.site import esfbank, query

pytestmark = pytest.mark.crawl

GOLDEN_PAGE = Path(__file__).parent / "fixtures" / "golden" / "esfplus2021" / "22-005-S01-html.html"
PAGE_PATH = "/resultat/projektbanken/projekt/?dnr=22-005-S01"
BAD_BYTE_PATH = "/resultat/projektbanken/projekt/?dnr=2018/00566"
BAD = b"\xe4"  # a cp1252 ä
BAD_BYTE = with_byte(PAGE, "<dd>Länsstyrelsen i ", BAD)


class _GzipHandler(BaseHTTPRequestHandler):
    """robots.txt is absent (404); the site's pages (path → bytes) are sent gzip-encoded when
    the client accepts it."""

    pages: ClassVar[dict[str, bytes]] = {PAGE_PATH: GOLDEN_PAGE.read_bytes()}

    def do_GET(self) -> None:
        body = self.pages.get(self.path)
        if body is None:
            self.send_error(404)
            return
        compressed = "gzip" in (self.headers.get("Accept-Encoding") or "")
        payload = gzip.compress(body) if compressed else body
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if compressed:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return


def _serve(pages: dict[str, bytes]) -> Iterator[str]:
    handler = type("Handler", (_GzipHandler,), {"pages": pages})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def gzip_site() -> Iterator[str]:
    yield from _serve(_GzipHandler.pages)


@pytest.fixture
def hostile_site() -> Iterator[str]:
    """A page with a bad byte in its owner's name, and a UTF-8 page that declares UTF-16."""
    utf16 = declaring(b"utf-16", page=GOLDEN_PAGE.read_bytes())
    yield from _serve({PAGE_PATH: utf16, BAD_BYTE_PATH: BAD_BYTE})


def test_compressed_pages_are_archived_decoded(gzip_site: str, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("22-005-S01\n", encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'crawl.sqlite'}"
    archive = tmp_path / "archive"
    args = ("--base-url", gzip_site, "--db", db_url, "--archive", str(archive))
    esfbank("crawl", *args, "--urls", str(seeds), check_exit=0)

    entry = Archive(archive).pages().latest[gzip_site + PAGE_PATH]
    assert entry.body_key is not None
    assert Archive(archive).read_body(entry.body_key) == GOLDEN_PAGE.read_bytes()
    assert entry.header("Content-Encoding") is None
    assert query(db_url, "SELECT project_number FROM projects") == [("22-005-S01",)]


def test_a_bad_byte_or_a_wrong_charset_reads_the_same_crawled_and_reparsed(
    hostile_site: str, tmp_path: Path
) -> None:
    """The title and names keep their letters; the bad byte is U+FFFD and a quarantined error
    naming the URL, raised again (not doubled) by `reparse` from the archive."""
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("22-005-S01\n2018/00566\n", encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'crawl.sqlite'}"
    args = ("--db", db_url, "--archive", str(tmp_path / "archive"))
    esfbank("crawl", "--base-url", hostile_site, *args, "--urls", str(seeds), check_exit=0)
    owners = "SELECT project_number, title, owner FROM projects ORDER BY project_number"
    crawled = query(db_url, owners)
    assert crawled == [
        ("2018/00566", "Kvinna in i Sverige",
         "Länsstyrelsen i \ufffdVästmanland, Länsstyrelsen i Västmanland"),
        ("22-005-S01", "Samverkan, inkludering och anställningsbarhet - Kalmar län (SIA)",
         "KOMMUNFÖRBUNDET KALMAR LÄN"),
    ]  # fmt: skip
    errors = "SELECT source_url, message FROM parse_errors WHERE resolved_at IS NULL"
    [(url, message)] = query(db_url, errors)
    assert (url, message.split(" (")[0]) == (
        hostile_site + BAD_BYTE_PATH,
        f"not valid UTF-8 at byte {BAD_BYTE.index(BAD)}",
    )

    reparse = esfbank("reparse", *args, check_exit=0)
    assert "0 new, 0 changed, 2 unchanged" in reparse.stdout
    assert query(db_url, owners) == crawled
    assert query(db_url, errors) == [(url, message)]
