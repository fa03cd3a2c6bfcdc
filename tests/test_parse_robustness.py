"""parse_bytes never raises: any bytes give exactly one record (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.page import parse_bytes
from parsers.records import Source
from parsers.vocabulary import ALIASES

LABEL_LINES = st.sampled_from(ALIASES).flatmap(
    lambda label: st.sampled_from([f"{label}:", f"{label}: ", label, f"{label}\t"]).flatmap(
        lambda head: st.text(max_size=30).map(lambda value: head + value)
    )
)
PAGE_LINES = st.lists(
    st.one_of(
        LABEL_LINES,
        st.text(max_size=60),
        st.sampled_from(["2019/00145 - A", "22-005-S01 - B", "21 januari 2020", "In English"]),
    ),
    max_size=25,
)


@settings(max_examples=120, deadline=None)
@given(PAGE_LINES, st.sampled_from([None, "https://www.esf.se/nyheter/x/", "https://e.org/p"]))
def test_any_snapshot_gives_one_record(lines: list[str], url: str | None) -> None:
    record = parse_bytes("\n".join(lines).encode("utf-8"), Source(path="p.txt", url=url))
    assert record.kind in ("project", "news", "call", "listing", "other")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_one_record(data: bytes) -> None:
    assert parse_bytes(data, Source(path="p.bin")).kind in (
        "project",
        "news",
        "call",
        "listing",
        "other",
    )


@settings(max_examples=60, deadline=None)
@given(PAGE_LINES)
def test_any_html_gives_one_record(lines: list[str]) -> None:
    cells = "".join(f"<div><span>{line}</span></div>" for line in lines)
    record = parse_bytes(f"<html><body>{cells}</body></html>".encode(), Source(path="p.html"))
    assert record.kind in ("project", "news", "call", "listing", "other")
