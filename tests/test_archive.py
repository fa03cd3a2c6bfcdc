"""The raw archive keeps every fetch, dedups bodies by content and survives a torn write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from load.archive import DISCOVERY, Archive, ArchiveError, archive_saved_page

T0 = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)
PAGE = "<html><body>Projektägare Åre kommun</body></html>".encode()


def _at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_round_trip_keeps_url_status_headers_time_and_body(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        entry = archive.put("http://x/a", 200, {"ETag": ['"v1"']}, PAGE, T0)
    (back,) = list(Archive(tmp_path).entries())
    assert back == entry
    assert back.header("etag") == '"v1"'
    assert back.body_key is not None
    assert Archive(tmp_path).read_body(back.body_key) == PAGE


def test_same_body_is_stored_once_and_compressed(tmp_path: Path) -> None:
    body = PAGE * 200
    with Archive(tmp_path) as archive:
        first = archive.put("http://x/a", 200, {}, body, _at(0))
        second = archive.put("http://x/b", 200, {}, body, _at(1))
    assert first.body_key == second.body_key
    blobs = list((tmp_path / "blobs").rglob("*.gz"))
    assert len(blobs) == 1
    assert blobs[0].stat().st_size < len(body) // 10


def test_pages_keep_the_newest_200_and_flag_gone_ones(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        archive.put("http://x/a", 200, {}, b"one", _at(0))
        archive.put("http://x/a", 304, {}, None, _at(1))
        archive.put("http://x/a", 500, {}, b"server error", _at(2))
        archive.put("http://x/b", 200, {}, b"two", _at(0))
        archive.put("http://x/b", 410, {}, None, _at(3))
        archive.put("http://x/sitemap.xml", 200, {}, b"<urlset/>", _at(0), role=DISCOVERY)
        archive.put("http://x/c", 404, {}, b"not found", _at(0))
        archive.put("http://x/c", 200, {}, b"back again", _at(4))
    pages = Archive(tmp_path).pages()
    assert set(pages.latest) == {"http://x/a", "http://x/b", "http://x/c"}
    assert pages.latest["http://x/a"].fetched_at == _at(0)
    assert pages.latest["http://x/b"].fetched_at == _at(0)
    assert pages.gone == {"http://x/b"}


def test_latest_with_body_follows_new_writes(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        archive.put("http://x/a", 200, {}, b"one", _at(0))
        assert archive.latest_with_body("http://x/missing") is None
        archive.put("http://x/a", 200, {}, b"two", _at(1))
        entry = archive.latest_with_body("http://x/a")
        assert entry is not None
        assert entry.body_key is not None
        assert archive.read_body(entry.body_key) == b"two"


def test_torn_last_line_of_a_killed_writer_is_skipped(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        archive.put("http://x/a", 200, {}, b"one", _at(0))
    (segment,) = (tmp_path / "index").glob("*.jsonl")
    with segment.open("a", encoding="utf-8") as out:
        out.write('{"url": "http://x/b", "sta')
    assert [e.url for e in Archive(tmp_path).entries()] == ["http://x/a"]


def test_missing_blob_is_an_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="0" * 64):
        Archive(tmp_path).read_body("0" * 64)


def test_empty_archive_has_no_entries(tmp_path: Path) -> None:
    assert list(Archive(tmp_path / "nothing").entries()) == []


def test_saved_pages_are_archived_under_their_url(tmp_path: Path) -> None:
    page = tmp_path / "p.txt"
    page.write_text("URL: https://www.esf.se/nyheter/a/\nRubrik\n", encoding="utf-8")
    with Archive(tmp_path / "archive") as archive:
        key = archive_saved_page(archive, page, "https://www.esf.se/nyheter/a/", T0)
        assert archive_saved_page(archive, page, None, T0) is None
    entry = Archive(tmp_path / "archive").pages().latest["https://www.esf.se/nyheter/a/"]
    assert entry.body_key == key
    assert entry.header("Content-Type") == "text/plain"
