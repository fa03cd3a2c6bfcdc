"""Pages a hostile or unlucky site serves: markup nested past lxml's default depth, UTF-8 with
a bad byte, a UTF-8 page that declares UTF-16. Each is read as a browser would, or given up on
with an error saying why; never read wrong in silence."""

from __future__ import annotations

import codecs
import json

import pytest

from crawler.parsing import load_item
from parsers.decoding import decode_page, header_charset
from parsers.page import parse_bytes
from parsers.records import Source, to_json_dict
from tests.hostile_pages import GOLDEN, PAGE, declaring, fetched, nested, with_byte

SNAPSHOT = (GOLDEN / "esf2007" / "visioncenter.txt").read_bytes()


def fields(data: bytes, path: str = "p.html") -> dict[str, object]:
    record = to_json_dict(parse_bytes(data, Source(path=path)))
    return {k: v for k, v in record.items() if k != "errors"}


def messages(data: bytes, path: str = "p.html") -> list[str]:
    return [error.message for error in parse_bytes(data, Source(path=path)).errors]


@pytest.mark.parametrize("tag", [b"font", b"div", b"span"])
def test_markup_nested_past_lxmls_default_depth_reads_as_the_plain_page(tag: bytes) -> None:
    assert fields(nested(300, tag)) == fields(PAGE)
    assert messages(nested(1500, tag)) == []


def test_markup_nested_past_the_lifted_limit_is_other_with_an_error() -> None:
    record = parse_bytes(nested(5000), Source(path="deep.html"))
    assert record.kind == "other"
    assert [(e.field, e.message) for e in record.errors] == [
        ("page", "the markup cannot be read whole: lxml stopped at line 28: "
         "Excessive depth in document: 2048")
    ]  # fmt: skip


def test_one_bad_byte_in_a_utf8_page_is_replaced_and_reported() -> None:
    broken = with_byte(PAGE, "<dd>Länsstyrelsen i ", b"\xff")
    at = broken.index(b"\xff")
    record = to_json_dict(parse_bytes(broken, Source(path="p.html")))
    assert record["owner"] == "Länsstyrelsen i \ufffdVästmanland, Länsstyrelsen i Västmanland"
    assert record | {"owner": None, "errors": []} == fields(PAGE) | {"owner": None, "errors": []}
    assert record["errors"] == [
        {
            "field": "page",
            "label": None,
            "value": "gare:</dt><dd>Länsstyrelsen i \ufffdVästmanland, Länsstyrelsen i",
            "message": f"not valid UTF-8 at byte {at} (1 place in all): "
            "read as UTF-8, U+FFFD in place of the bad bytes",
        }
    ]


def test_a_utf8_snapshot_with_a_bad_byte_is_read_as_utf8() -> None:
    broken = with_byte(SNAPSHOT, "Östra", b"\x81")
    at = broken.index(b"\x81")
    assert fields(broken, "p.txt") == fields(SNAPSHOT, "p.txt") | {"region": None, "nuts2": None}
    region, decoding = messages(broken, "p.txt")
    assert region.endswith("got 'Östra\ufffd Mellansverige'")
    assert decoding == (
        f"not valid UTF-8 at byte {at} (1 place in all): "
        "read as UTF-8, U+FFFD in place of the bad bytes"
    )


@pytest.mark.parametrize("label", [b"utf-16", b"UTF-16LE", b"utf-16be"])
@pytest.mark.parametrize("parity", [0, 1], ids=["even-length", "odd-length"])
def test_a_utf8_page_declaring_utf16_is_read_as_utf8(label: bytes, parity: int) -> None:
    page = declaring(label, parity=parity)
    assert fields(page) == fields(PAGE)
    assert messages(page) == []


def test_a_page_not_utf8_at_all_is_windows_1252_reported_when_it_said_utf8() -> None:
    declared = PAGE.decode("utf-8").encode("cp1252")
    at = declared.index(b"\xe5")
    undeclared = declared.replace(b'<meta charset="utf-8">', b"", 1)
    assert fields(undeclared) == fields(PAGE)
    assert messages(undeclared) == []
    assert fields(declared) == fields(PAGE)
    assert messages(declared) == [
        f"not UTF-8 (first at byte {at}) though it says so: "
        "read as windows-1252, which most of its non-ASCII bytes fit"
    ]


def test_a_page_mostly_windows_1252_with_some_utf8_is_read_as_windows_1252_and_reported() -> None:
    mixed = "<p>Välkommen</p>".encode() + "<p>Kalmar län, Växjö, Öland</p>".encode("cp1252")
    decoded = decode_page(mixed, html=True)
    assert decoded.text == "<p>VÃ¤lkommen</p><p>Kalmar län, Växjö, Öland</p>"
    assert decoded.problem == (
        "not UTF-8 (first at byte 28): read as windows-1252, which most of its non-ASCII "
        "bytes fit; its 1 UTF-8 character read wrong"
    )


@pytest.mark.parametrize(
    ("data", "html", "ending"),
    [
        pytest.param(codecs.BOM_UTF8 + b'<meta charset="cp1252">\xc3\xa5', True, "å", id="bom"),
        pytest.param(b'<meta charset="iso-8859-1">\x93', True, ">“", id="latin1-is-1252"),
        pytest.param(b'<meta charset="us-ascii">\x93', True, ">“", id="ascii-is-1252"),
        pytest.param(b'<meta charset="utf-32">\xc3\xb6', True, ">ö", id="utf32-ignored"),
        pytest.param(b'<meta charset="utf-7">+AOU-', True, ">+AOU-", id="utf7-ignored"),
        pytest.param(b'<meta charset="no-such">\xc3\xb6', True, ">ö", id="unknown-ignored"),
        pytest.param(b'<meta charset="cp1252">\xc3\xb6', False, ">ö", id="text-ignores-meta"),
    ],
)
def test_decoding_follows_the_html_standard(data: bytes, html: bool, ending: str) -> None:
    decoded = decode_page(data, html=html)
    assert decoded.text.startswith("<meta ")
    assert decoded.text.endswith(ending)
    assert decoded.problem is None


def test_decoding_follows_the_declared_charset_else_utf8_else_windows_1252() -> None:
    text = "<p>Småland och Öarna</p>"
    assert decode_page(text.encode("utf-8"), html=True).text == text
    assert decode_page(text.encode("cp1252"), html=True).text == text
    declared = f'<meta charset="iso-8859-1">{text}'
    assert decode_page(declared.encode("iso-8859-1"), html=True).text == declared


def test_the_error_shows_the_text_around_the_first_bad_byte() -> None:
    broken = "a \ufffd b\n".encode() + b"Kalmar l\xe4n, V\xc3\xa4xj\xc3\xb6"
    decoded = decode_page(codecs.BOM_UTF8 + broken, html=False)
    at = len(codecs.BOM_UTF8) + broken.index(b"\xe4")
    assert decoded.text == "a \ufffd b\nKalmar l\ufffdn, Växjö"
    assert decoded.context == "Kalmar l\ufffdn, Växjö"  # not the U+FFFD the page itself holds
    assert decoded.problem == (
        f"not valid UTF-8 at byte {at} (1 place in all): read as UTF-8, U+FFFD in place of the "
        "bad bytes"
    )
    assert decode_page(codecs.BOM_UTF8 + b"l\xe4n", html=False).context == "l\ufffdn"


@pytest.mark.parametrize(
    ("data", "content_type", "text"),
    [
        # The header speaks before the page's own `<meta charset>`, as the HTML standard has it.
        pytest.param(
            b'<meta charset="utf-8">L\xe4n', "text/html; charset=windows-1252", "Län", id="1252"
        ),
        pytest.param(
            b'<meta charset="iso-8859-1">L\xc3\xa4n', 'text/html; charset="UTF-8"', "Län", id="utf8"
        ),
        # A header that names UTF-8 is read like a meta that does: bytes that are not fall back.
        pytest.param(b"L\xe4n", "text/html;charset=utf-8", "Län", id="utf8-said-not-so"),
        # A meta that says UTF-8 of bytes that are, under a header naming a one-byte charset:
        # the bytes and the page agree, so UTF-8 (no mojibake for a server's default header).
        pytest.param(
            b'<meta charset="utf-8">L\xc3\xa4n', "text/html; charset=ISO-8859-1", "Län", id="both"
        ),
        # Labels the header may not name: ignored, the meta speaks.
        pytest.param(
            b'<meta charset="cp1252">L\xe4n', "text/html; charset=nonsense", "Län", id="x"
        ),
        pytest.param(b'<meta charset="cp1252">L\xe4n', "text/html", "Län", id="no-charset"),
        # A text file's charset from its header too (it has no meta).
        pytest.param(b"L\xe4n", "text/plain; charset=iso-8859-1", "Län", id="text"),
    ],
)
def test_the_content_type_header_s_charset_comes_before_the_page_s_meta(
    data: bytes, content_type: str, text: str
) -> None:
    decoded = decode_page(data, html="html" in content_type, charset=header_charset(content_type))
    assert decoded.text.endswith(text)
    assert decoded.problem is None or "though it says so" in decoded.problem


def test_a_fetched_page_is_decoded_by_the_charset_its_server_named() -> None:
    """Bug: the crawl and reparse took only "is it HTML" from the Content-Type header, so a page
    whose `<meta charset>` was wrong was read wrong though the server said it right."""
    body = PAGE.replace(b'<meta charset="utf-8">', b'<meta charset="iso-8859-1">', 1)
    page = fetched("https://www.esf.se/projekt/x/", body, "text/html; charset=UTF-8")
    record = load_item(page).record
    assert to_json_dict(record)["title"] == to_json_dict(parse_bytes(PAGE, Source()))["title"]
    assert "Ã" not in json.dumps(to_json_dict(record), ensure_ascii=False)
