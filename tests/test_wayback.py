"""The Internet Archive's index and capture addresses, read without a reactor (crawler.wayback)."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.wayback import (
    LEGACY_SOURCES,
    Capture,
    CdxError,
    NewestCaptures,
    capture_time,
    capture_url,
    cdx_query_url,
    original_address,
)

PROJECTS_2007 = LEGACY_SOURCES[0][1]
HEADER = ["urlkey", "timestamp", "original", "statuscode"]
PAGE = "http://www.esf.se/sv/Resultat/Projektbanken/Behallare-for-projekt/Sydsverige/Klara-Livet/"
KEY = "se,esf)/sv/resultat/projektbanken/behallare-for-projekt/sydsverige/klara-livet"


def _answer(*rows: list[str]) -> bytes:
    return json.dumps([HEADER, *rows]).encode()


def newest_captures(*answers: bytes) -> list[Capture]:
    """The captures of the 2007–2013 pages over the answers, each but the last ending with the
    key of the next."""
    newest = NewestCaptures(PROJECTS_2007)
    keys = [newest.add(body) for body in answers]
    assert keys[-1] is None
    assert all(key is not None for key in keys[:-1])
    return newest.captures()


def test_the_query_asks_for_every_200_capture_under_the_prefix_without_collapsing() -> None:
    url = cdx_query_url("http://127.0.0.1:9/", "/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/")
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("127.0.0.1:9", "/cdx/search/cdx")
    query = parse_qs(parts.query)
    assert query["url"] == ["www.esf.se/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/"]
    assert query["matchType"] == ["prefix"]
    assert query["output"] == ["json"]
    assert query["filter"] == ["statuscode:200"]
    assert "collapse" not in query  # it would keep each URL's OLDEST capture
    # Answers of at most so many rows, a capped one ending with the key to resume from.
    assert (query["limit"], query["showResumeKey"]) == (["10000"], ["true"])
    assert "resumeKey" not in query
    again = cdx_query_url("http://127.0.0.1:9/", "/x/", "se,esf)/x 2010")
    resumed = parse_qs(urlsplit(again).query)
    assert resumed.pop("resumeKey") == ["se,esf)/x 2010"]
    assert resumed == {**query, "url": ["www.esf.se/x/"]}


def test_the_newest_capture_is_kept_over_answers_that_split_a_page_s_captures() -> None:
    """The index's JSON ends a capped answer with an empty row and a row of the resume key."""
    other = PAGE.replace("Klara-Livet", "Startelvan")
    first = json.dumps([HEADER, [KEY, "20100101000000", PAGE, "200"], [], ["key one"]]).encode()
    later = [KEY + "x", "20120505050505", other, "200"]
    second = json.dumps([HEADER, [KEY, "20130202020202", PAGE, "200"], later, [], ["two"]])
    # An answer may stop at the last row and still give a key: the next one is empty.
    assert newest_captures(first, second.encode(), b"[]") == [
        Capture(PAGE, "20130202020202"),
        Capture(other, "20120505050505"),
    ]


def test_an_index_that_resumes_where_it_stood_is_an_error_not_a_loop() -> None:
    newest = NewestCaptures(PROJECTS_2007)
    answer = json.dumps([HEADER, [KEY, "20100101000000", PAGE, "200"], [], ["same"]]).encode()
    assert newest.add(answer) == "same"
    with pytest.raises(CdxError, match="resume key 'same' twice"):
        newest.add(answer)


def test_the_newest_capture_of_each_page_is_kept_whatever_the_row_order() -> None:
    other = PAGE.replace("Klara-Livet", "Startelvan")
    body = _answer(
        [KEY, "20100101000000", PAGE, "200"],
        [KEY + "x", "20120505050505", other, "200"],
        [KEY, "20130202020202", PAGE.replace("http://", "https://"), "200"],
        [KEY, "20110101000000", PAGE, "200"],
    )
    captures = newest_captures(body)
    assert captures == [  # by address
        Capture(other, "20120505050505"),
        Capture(PAGE.replace("http://", "https://"), "20130202020202"),
    ]
    assert captures[1].captured_at == dt.datetime(2013, 2, 2, 2, 2, 2, tzinfo=dt.UTC)


def test_listings_and_other_statuses_under_a_prefix_are_not_pages() -> None:
    listing = "http://www.esf.se/sv/Resultat/Projektbanken/Behallare-for-projekt/Sydsverige/"
    body = _answer(
        [KEY, "20100101000000", PAGE, "200"],
        ["k2", "20100101000000", listing, "200"],
        ["k3", "20100101000000", listing + "?page=2", "200"],
        ["k4", "20140101000000", PAGE.replace("Klara", "Ny"), "301"],
    )
    assert newest_captures(body) == [Capture(PAGE, "20100101000000")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "empty answer"),
        (b"", "not JSON"),
        (b'[["urlkey", "timestamp"', "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"rows": []}', "not a JSON list"),
        (b'[["urlkey", "statuscode"]]', "does not name"),
        (json.dumps([HEADER, [KEY, "2010", PAGE]]).encode(), "row 2"),
        (json.dumps([HEADER, [KEY, "20101301000000", PAGE, "200"]]).encode(), "not a date"),
        (json.dumps([HEADER, [KEY, "2010010100000x", PAGE, "200"]]).encode(), "14 digits"),
        (json.dumps([HEADER, [KEY, "20100101000000", "ftp://x/", "200"]]).encode(), "http(s)"),
        (json.dumps([HEADER]).encode(), "no capture of a legacy page among its 0 rows in 1 answer"),
    ],
)
def test_an_unreadable_or_empty_answer_is_an_error_saying_why(body: bytes, message: str) -> None:
    with pytest.raises(CdxError, match=re.escape(message)):
        newest_captures(body)


def test_a_capture_is_asked_raw_and_its_time_read_back_from_its_address() -> None:
    capture = Capture(PAGE, "20120304050607")
    url = capture_url("https://web.archive.org/", capture)
    assert url == f"https://web.archive.org/web/20120304050607id_/{PAGE}"
    assert capture_time(url) == dt.datetime(2012, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    assert capture_time(PAGE) is None
    assert capture_time("https://web.archive.org/web/20129999999999id_/x") is None


def test_the_original_address_loses_a_default_port_and_fragment_only() -> None:
    assert original_address("http://www.esf.se:80/sv/A/#top") == "http://www.esf.se/sv/A/"
    assert original_address("https://esf.se:443/A/?x=1") == "https://esf.se/A/?x=1"
    assert original_address("http://www.esf.se:8080/A/") == "http://www.esf.se:8080/A/"


@pytest.mark.parametrize(
    "path",
    [
        "/sv/Resultat/Projektbanken/Behallare-for-projekt/Sydsverige/Klara-Livet/",
        "/Resultat/Projektbanken/Behallare-for-projekt/Ostra-Mellansverige/Visioncenter/",
        "/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt/Varmlands-framtid/",
        "/sv/Min-region/Stockholm/Nyheter2/Nyhetsbrev-Stockholm-februari-2013/",
        "/Om-ESF-radet/Nyheter/Aktuellt2/300-miljoner-ska-hjalpa-krisens-varslade-i-Sverige/",
    ],
)
def test_each_legacy_shape_is_a_page_of_exactly_one_prefix(path: str) -> None:
    owners = [prefix for prefix, page in LEGACY_SOURCES if page.match(path)]
    assert len(owners) == 1
    assert path.lower().startswith(owners[0].lower())
