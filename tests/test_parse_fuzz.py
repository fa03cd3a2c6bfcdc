"""Fuzzing the parser with real pages mutated as a broken or hostile site would serve them:
markup nested thousands deep, entity declarations (billion laughs, an external file), other
encodings and charset labels, bytes flipped, the page cut off.

A page served again deeper or in another encoding reads as the same record, or is `kind: other`
with an error saying why (past the parser's depth limit). Any mangled page gives a record
without an exception; with markup, entities and encodings mangled it is a project, news, call
or listing, or `kind: other` with an error saying why. Damage to the bytes themselves (cut off,
flipped, a wrong charset label) may leave a page of nothing recognisable, or of another site
(a flipped byte in its URL), which is `other` with no error like any page of another site: a
text snapshot, or HTML cut before `<html>`, carries no sign that it was cut.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from parsers.page import parse_bytes
from parsers.records import Source, to_json_dict
from tests.hostile_pages import GOLDEN

# Golden pages the parser reads as something (pages of kind other may be other with no error).
PAGES = tuple(
    (path.suffix, path.read_bytes())
    for path in sorted(GOLDEN.rglob("*"))
    if path.suffix in (".html", ".txt")
    and json.loads(path.with_name(f"{path.stem}.expected.json").read_text("utf-8"))["kind"]
    != "other"
)
LAUGHS = "".join(f'<!ENTITY l{n + 1} "{f"&l{n};" * 10}">' for n in range(9))  # 10⁹ × "lol"
DOCTYPE = (
    f'<!DOCTYPE html [<!ENTITY l0 "lol">{LAUGHS}<!ENTITY file SYSTEM "file:///etc/passwd">]>'
).encode()
ENTITY_USES = b"&l9; &file; &amp; &#228; &#xe4; &auml; &#0; &#x110000; &nosuch;"
INLINE = (b"<font>", b"<span>", b"<b><i>", b"<em>")
LABELS = (b"utf-8", b"utf-16", b"utf-16be", b"utf-32", b"utf-7", b"iso-8859-1", b"cp037", b"x")
# (codec, the label the re-encoded page declares): read as the same page.
SAME_TEXT = (
    ("utf-16", b"utf-8"),
    ("utf-16-be", b"utf-16"),
    ("utf-8-sig", b"windows-1252"),
    ("cp1252", b"windows-1252"),
    ("cp1252", b"iso-8859-1"),
    ("utf-8", b"utf-16le"),
)
KINDS = ("project", "news", "call", "listing", "other")
Mutation = Callable[[bytes], st.SearchStrategy[bytes]]


def _before_a_tag(draw: st.DrawFn, page: bytes) -> int:
    """Where markup can go without cutting a tag or a URL: before a tag of the body."""
    body = max(page.find(b"<body"), 0)
    return draw(st.sampled_from([i for i in range(body, len(page)) if page[i] == ord("<")]))


@st.composite
def nested(draw: st.DrawFn, page: bytes) -> bytes:
    """Unclosed inline tags, 200 to 6,000 deep, opened before a tag of the body."""
    at = _before_a_tag(draw, page)
    return page[:at] + draw(st.sampled_from(INLINE)) * draw(st.integers(200, 6000)) + page[at:]


@st.composite
def reencoded(draw: st.DrawFn, page: bytes) -> bytes:
    """The page's text in another encoding, declared so a browser reads the same text (a
    UTF-16 page's byte-order mark decides whatever it declares)."""
    codec, label = draw(st.sampled_from(SAME_TEXT))
    text = page.replace(b'charset="utf-8"', b'charset="' + label + b'"', 1).decode("utf-8")
    try:
        data = text.encode(codec)
    except UnicodeError:  # a character windows-1252 has not
        reject()
    return (codecs.BOM_UTF16_BE if codec == "utf-16-be" else b"") + data


@st.composite
def relabelled(draw: st.DrawFn, page: bytes) -> bytes:
    label = draw(st.sampled_from(LABELS))
    return page.replace(b'charset="utf-8"', b'charset="' + label + b'"', 1)


@st.composite
def entities(draw: st.DrawFn, page: bytes) -> bytes:
    """Entity declarations before the page, and entities used in its body."""
    at = _before_a_tag(draw, page)
    return DOCTYPE + page[:at] + ENTITY_USES + page[at:]


@st.composite
def flipped(draw: st.DrawFn, page: bytes) -> bytes:
    data = bytearray(page)
    for _ in range(draw(st.integers(1, 20))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def truncated(draw: st.DrawFn, page: bytes) -> bytes:
    return page[: draw(st.integers(0, len(page)))]


def fields(data: bytes, suffix: str) -> dict[str, Any]:
    return to_json_dict(parse_bytes(data, Source(path=f"page{suffix}")))


HTML_PAGES = tuple(page for suffix, page in PAGES if suffix == ".html")
_SAME = (nested, reencoded)
# In the order they are applied: markup first, then the encoding, then damage to the bytes.
_MANGLE = (nested, relabelled, entities, reencoded, flipped, truncated)
_MARKUP = frozenset({nested, entities, relabelled})  # make sense in HTML pages only
# A page damaged so may be left a page of nothing recognisable, or of another site (a flipped
# byte in its URL): `other` with no error, as a page of another site is.
_DAMAGE = frozenset({relabelled, flipped, truncated})
_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.sampled_from(HTML_PAGES), st.sampled_from(_SAME), st.data())
def test_a_page_served_deeper_or_reencoded_reads_the_same_or_says_why(
    page: bytes, mutation: Mutation, data: st.DataObject
) -> None:
    served = data.draw(mutation(page))
    record = fields(served, ".html")
    if record["kind"] == "other" and record["errors"]:
        [error] = record["errors"]
        assert str(error["message"]).startswith("the markup cannot be read whole")
    else:
        assert record == fields(page, ".html")


@_FUZZ
@given(
    st.sampled_from(PAGES),
    st.lists(st.sampled_from(_MANGLE), min_size=1, max_size=3, unique=True),
    st.data(),
)
def test_a_mangled_page_gives_a_record_or_other_with_a_reason(
    page: tuple[str, bytes], mutations: list[Mutation], data: st.DataObject
) -> None:
    suffix, served = page
    applied = [m for m in _MANGLE if m in mutations and (suffix == ".html" or m not in _MARKUP)]
    for mutation in applied:
        served = data.draw(mutation(served))
    record = parse_bytes(served, Source(path=f"page{suffix}"))  # raises nothing
    output = json.dumps(to_json_dict(record), ensure_ascii=False)
    assert record.kind in KINDS
    if record.kind == "other" and _DAMAGE.isdisjoint(applied):
        assert record.errors, "a page read as nothing must say why"
    assert "root:" not in output  # no external entity is read
    assert "lollol" not in output  # nor are entities expanded
