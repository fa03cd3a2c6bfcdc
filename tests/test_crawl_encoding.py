"""A site that compresses its pages (as real sites do): the archive keeps the page as served,
decoded, so `reparse` reads HTML and not gzip bytes."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from load.archive import Archive
from tests.plugins.site import esfbank, query

pytestmark = pytest.mark.crawl

GOLDEN_PAGE = Path(__file__).parent / "fixtures" / "golden" / "esfplus2021" / "22-005-S01-html.html"
PAGE_PATH = "/resultat/projektbanken/projekt/?dnr=22-005-S01"


class _GzipHandler(BaseHTTPRequestHandler):
    """robots.txt is absent (404); the one page is sent gzip-encoded when the client accepts it."""

    def do_GET(self) -> None:
        if self.path != PAGE_PATH:
            self.send_error(404)
            return
        body = GOLDEN_PAGE.read_bytes()
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


@pytest.fixture
def gzip_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GzipHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


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
