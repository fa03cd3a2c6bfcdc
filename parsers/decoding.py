"""Bytes → text, one way for every page read (crawled, saved as a file, or from the archive).

As the HTML standard has it: a byte-order mark wins; else the charset the server named in its
Content-Type header; else an HTML page's `<meta charset>`. In either, a UTF-16 label means UTF-8
(a page that is UTF-16 has a byte-order mark; a declaration found by reading the bytes as ASCII
cannot be UTF-16) and ISO-8859-1 or US-ASCII mean windows-1252, as browsers read them; labels of
encodings that are not ASCII-compatible, or unknown, are ignored. Undeclared bytes are UTF-8,
else old Windows pages (windows-1252). One departure: where the header names a one-byte charset
and the page says UTF-8 of bytes that are UTF-8, they are UTF-8 (the header is then a server's
default, not the page's truth; a browser would show mojibake, a record must not hold it).

Bytes that do not fit are not silently turned into another text: a page that is UTF-8 but for a
few bytes reads as UTF-8 with U+FFFD in their place, and `Decoded.problem` says where. Which of
UTF-8 and windows-1252 a broken page is read as is decided by which reads more of its non-ASCII
characters right, so one stray byte does not make a whole UTF-8 page mojibake.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import re

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r""";\s*charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_PRESCAN = 4096  # bytes searched for `<meta charset>` (the standard's 1024, plus long heads)
_WINDOWS = "cp1252"
# By Python codec name: what a browser reads a page declaring it as (None: the label is
# ignored; UTF-7 is no web encoding, and reads ASCII-looking bytes as markup).
_READ_AS: dict[str, str | None] = {
    "utf-16": "utf-8",
    "utf-16-le": "utf-8",
    "utf-16-be": "utf-8",
    "iso8859-1": _WINDOWS,
    "ascii": _WINDOWS,
    "utf-7": None,
}
_ASCII_PROBE = '<meta charset="utf-8">'
_NAMES = {"utf-8": "UTF-8", _WINDOWS: "windows-1252"}
_CONTEXT = 30  # characters shown on each side of the first replaced byte


@dataclasses.dataclass(frozen=True, slots=True)
class Decoded:
    """The page's text, and why it may not be what was sent (None when the bytes fit)."""

    text: str
    problem: str | None = None
    context: str | None = None  # the text around the first bad byte, for the error's value
    utf8: bool = False  # the text is the bytes read as UTF-8 as they are: no BOM, none replaced


def utf16_as_utf8(data: bytes) -> bytes:
    """A page with a UTF-16 byte-order mark, as UTF-8 bytes (other bytes as they are), so
    sniffing bytes (binary? HTML?) sees its characters and not the NULs between them."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace").encode("utf-8")
    return data


def header_charset(content_type: str | None) -> str | None:
    """The charset label a Content-Type header names (`text/html; charset=UTF-8`), if any."""
    found = _HEADER_CHARSET.search(content_type) if content_type else None
    return found.group(1) if found else None


def decode_page(data: bytes, *, html: bool, charset: str | None = None) -> Decoded:
    """The text of a page's bytes; `charset` is the label the server's Content-Type header
    named, and `html` lets a `<meta charset>` speak (not in text files)."""
    if data.startswith(codecs.BOM_UTF8):  # a byte-order mark is the last word
        decoded = _replacing(data, "utf-8")
        return dataclasses.replace(decoded, text=decoded.text[1:])
    header = _encoding(charset.lower()) if charset else None
    meta = _declared(data) if html else None
    declared = header or meta
    if declared is None or declared == "utf-8":
        return _utf8_or_windows(data, declared_utf8=declared is not None)
    if meta == "utf-8":  # the header named another: the bytes decide between the two
        try:
            return Decoded(data.decode("utf-8"), utf8=True)
        except UnicodeDecodeError:
            pass
    return _replacing(data, declared)


def _declared(data: bytes) -> str | None:
    found = _META_CHARSET.search(data, 0, _PRESCAN)
    return _encoding(found.group(1).decode("ascii").lower()) if found else None


@functools.lru_cache(maxsize=64)
def _encoding(label: str) -> str | None:
    """The codec a browser reads a declared label as; None for labels it would ignore."""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in _READ_AS:
        return _READ_AS[name]
    try:
        compatible = _ASCII_PROBE.encode(name) == _ASCII_PROBE.encode("ascii")
    except (UnicodeError, LookupError):  # codecs that do not encode text (base64, rot13, ...)
        compatible = False
    return name if compatible else None


def _replacing(data: bytes, encoding: str) -> Decoded:
    """`data` in `encoding`, bad bytes replaced by U+FFFD and reported."""
    try:
        return Decoded(data.decode(encoding))
    except UnicodeDecodeError as exc:
        return _replaced(data, data.decode(encoding, errors="replace"), encoding, exc.start)


def _replaced(data: bytes, text: str, encoding: str, first: int) -> Decoded:
    try:
        literal = data.count("\ufffd".encode(encoding))  # U+FFFD the page itself holds
    except UnicodeError:
        literal = 0
    count = text.count("\ufffd") - literal
    name = _NAMES.get(encoding, encoding)
    return Decoded(
        text,
        f"not valid {name} at byte {first} ({count} place{'s' if count > 1 else ''} in all): "
        f"read as {name}, U+FFFD in place of the bad bytes",
        _around(text, len(data[:first].decode(encoding))),  # the bytes before `first` fit
    )


def _utf8_or_windows(data: bytes, *, declared_utf8: bool) -> Decoded:
    """UTF-8, or windows-1252 when that reads more of the page's non-ASCII characters right."""
    try:
        return Decoded(data.decode("utf-8"), utf8=True)
    except UnicodeDecodeError as exc:
        first = exc.start
    text = data.decode("utf-8", errors="replace")
    marks = text.count("\ufffd")
    replaced = marks - data.count("\ufffd".encode())
    fitting = len(text) - len(text.encode("ascii", errors="ignore")) - marks
    if fitting >= replaced:
        return _replaced(data, text, "utf-8", first)
    windows = data.decode(_WINDOWS, errors="replace")
    if not declared_utf8 and not fitting:
        return Decoded(windows)  # an old Windows page, read as it was written
    said = " though it says so" if declared_utf8 else ""
    wrong = f"; its {fitting} UTF-8 character{'s' if fitting > 1 else ''} read wrong"
    return Decoded(
        windows,
        f"not UTF-8 (first at byte {first}){said}: read as windows-1252, which most of its "
        f"non-ASCII bytes fit{wrong if fitting else ''}",
        _around(windows, first),
    )


def _around(text: str, index: int) -> str:
    """The line around `index`, at most _CONTEXT characters on each side."""
    start = max(text.rfind("\n", 0, index) + 1, index - _CONTEXT)
    end = text.find("\n", index)
    end = min(len(text) if end < 0 else end, index + _CONTEXT)
    return text[start:end].lstrip("\ufeff").strip()
