"""parse_bytes/parse_path: decoding, HTML or snapshot sniffing, and where source_url comes from."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.page import _HTML_CLOSE, _closed, parse_bytes, parse_path
from parsers.records import Source

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
SNAPSHOT = (GOLDEN / "esf2007" / "visioncenter.txt").read_text("utf-8")
HTML = (GOLDEN / "esf2014" / "2018-00566-html.html").read_text("utf-8")


@pytest.mark.parametrize(
    "data",
    [
        SNAPSHOT.encode("utf-8"),
        codecs.BOM_UTF8 + SNAPSHOT.encode("utf-8"),
        SNAPSHOT.encode("utf-16"),
        SNAPSHOT.replace("\u00a0", " ").encode("cp1252"),
        SNAPSHOT.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "cp1252", "crlf"],
)
def test_a_snapshot_reads_the_same_in_every_encoding(data: bytes) -> None:
    record = parse_bytes(data, Source(path="p.txt"))
    assert record.kind == "project"
    assert record.title == "Visioncenter"
    assert getattr(record, "region", None) == "Östra Mellansverige"
    assert record.errors == ()


def test_html_is_sniffed_whatever_the_file_name(tmp_path: Path) -> None:
    saved = tmp_path / "page.txt"
    saved.write_text(HTML, "utf-8")
    record = parse_path(saved)
    assert record.kind == "project"
    assert getattr(record, "project_number", None) == "2018/00566"
    assert record.source.path == str(saved)


def test_source_url_from_header_canonical_link_or_the_crawl() -> None:
    with_header = parse_bytes(b"\n\nURL: https://www.esf.se/a/\n\nRubrik\n", Source())
    assert with_header.source.url == "https://www.esf.se/a/"
    canonical = parse_bytes(HTML.encode("utf-8"), Source())
    assert (
        canonical.source.url == "https://www.esf.se/resultat/projektbanken/projekt/?dnr=2018/00566"
    )
    crawled = parse_bytes(HTML.encode("utf-8"), Source(url="https://www.esf.se/crawled/"))
    assert crawled.source.url == "https://www.esf.se/crawled/"


@pytest.mark.parametrize(
    "page",
    [
        ("URL: https://[ww.esf.se/projekt/visioncenter/\n\n" + SNAPSHOT).encode("utf-8"),
        HTML.replace('href="https://www.esf.se/', 'href="https://www.esf.se]/', 1).encode("utf-8"),
    ],
    ids=["snapshot", "html"],
)
def test_a_stated_url_that_is_no_url_is_an_error_and_the_content_still_reads(page: bytes) -> None:
    """A byte flipped into `[` in a page's URL made urllib raise (the fuzz test found it): the
    parser raised instead of giving a record."""
    record = parse_bytes(page, Source(path="p"))
    assert record.kind == "project"
    assert record.source.url is None
    [error] = record.errors
    assert (error.field, error.message) == ("source_url", "not a URL: Invalid IPv6 URL")
    assert "esf.se" in str(error.value)


_CLOSING_PIECES = [
    b"</html>",
    b"</HTML >",
    b"</Html\n\t>",
    b"</html",
    b"</htm>",
    b"</html x>",
    b"<",
    b"/",
    b"h",
    b"T",
    b"m",
    b"L",
    b">",
    b" ",
    b"\x0b",
    b"\x1c",
    b"\x85",
    b"\xc3\x85",
    b"x",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_CLOSING_PIECES), max_size=10).map(b"".join))
def test_a_closing_tag_is_found_where_the_case_blind_regex_finds_it(tail: bytes) -> None:
    assert _closed(tail) == bool(re.search(_HTML_CLOSE, tail, re.IGNORECASE))


_BINARY = "binary data, not a saved page or text snapshot"


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (SNAPSHOT.encode("utf-8"), False),
        (b"Rubrik\x01\n" + SNAPSHOT.encode("utf-8"), False),  # one stray control byte
        (b"Rubrik\n\x00" + SNAPSHOT.encode("utf-8"), True),  # a NUL is never text
        (b"\x1b" * 100 + b"a" * 4900, False),  # ESC (colour codes) is not counted
        (b"\x02" * 100 + b"a" * 4900, False),  # 2 % of the head: still text
        (b"\x02" * 101 + b"a" * 4899, True),  # past 2 %
        (b"a" * 9000 + b"\x02" * 500, False),  # past the sniffed head
        (b"\x0e\x1a\x1c\x1f" * 30 + b"a" * 4880, True),  # the ranges above \x08
    ],
)
def test_binary_data_is_told_by_its_share_of_control_bytes(data: bytes, binary: bool) -> None:
    errors = [error.message for error in parse_bytes(data, Source(path="p.txt")).errors]
    assert (_BINARY in errors) is binary
