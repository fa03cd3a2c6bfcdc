"""Records into table rows: natural keys, content hashes and the column values.

The content hash covers the normalised record, not the raw page: the contract's fields without
where the page was read from (`source_path`, `source_url`) and without the parser's `errors`, so
a banner change, a new URL for the same project or a re-run from another folder is no change.
project_versions keeps that normalised record, so each version shows what was hashed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import typing
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import orjson

from load.bulk import JsonBytes, JsonText
from parsers.records import NewsRecord, PageRecord, ProjectRecord, Record
from parsers.urls import normalise_source_url

# Record fields that say where a page was read from (the contract's `source_path` and
# `source_url`) or how parsing went: not content.
NOT_HASHED = frozenset({"source", "errors"})

# Record fields stored as child rows or handled separately rather than as projects columns.
_PROJECT_LISTS = ("municipalities", "partners", "cofinanciers")
_PROJECT_JSON = ("sections", "unknown_labels")
_NOT_PROJECT_SCALARS = frozenset({"source", "kind", "errors", *_PROJECT_LISTS, *_PROJECT_JSON})
_PROJECT_SCALARS = tuple(
    f.name for f in dataclasses.fields(ProjectRecord) if f.name not in _NOT_PROJECT_SCALARS
)
# The columns a record fills (besides `source_url`), in the order of `Prepared.values`.
PROJECT_COLUMNS: tuple[str, ...] = (*_PROJECT_SCALARS, *_PROJECT_JSON)
NEWS_COLUMNS: tuple[str, ...] = ("title", "published_date", "body", "unknown_labels")
_COLUMNS: dict[type, tuple[str, ...]] = {
    ProjectRecord: PROJECT_COLUMNS,
    NewsRecord: NEWS_COLUMNS,
    PageRecord: (),
}
_SECTIONS = PROJECT_COLUMNS.index("sections")


# Per record type: the hashed field names in sorted order (orjson's sort of the keys is then a
# single pass), and the maker of a record's content from them and of its table's columns.
_CONTENT_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(sorted(f.name for f in dataclasses.fields(cls) if f.name not in NOT_HASHED))
    for cls in _COLUMNS
}
# A record's content (`{name: record.name}` of its hashed fields) and its table's column values.
Maker = Callable[[Record], tuple[dict[str, Any], tuple[Any, ...]]]


def _maker(names: tuple[str, ...], columns: tuple[str, ...]) -> Maker:
    """The function making a record's content for `names` (its class's hashed fields) and its
    values of `columns`, written out: the content a copy of a dict holding the keys (one
    presized copy of its table), each value then assigned in place; the columns a tuple display
    of the attributes. A dict display of more than fifteen keys is built key by key, its table
    grown as it fills, and cost two thirds more; `dict(zip(names, attrgetter(*names)(record)))`
    more still; picking the columns from the content a dict look-up each (callgrind, a
    project's 36 fields and 33 columns)."""
    if not all(name.isidentifier() for name in (*names, *columns)):
        raise ValueError(f"not field names: {names} {columns}")
    assignments = "".join(f"    content[{name!r}] = record.{name}\n" for name in names)
    values = "".join(f"record.{name}, " for name in columns)
    namespace: dict[str, Any] = {"_keys": dict.fromkeys(names).copy}
    exec(
        f"def make(record):\n    content = _keys()\n{assignments}    return content, ({values})\n",
        namespace,
    )
    maker: Maker = namespace["make"]
    return maker


_MAKERS: dict[type, Maker] = {
    cls: _maker(names, _COLUMNS[cls]) for cls, names in _CONTENT_FIELDS.items()
}
# The same, the content's keys in the order PostgreSQL's jsonb keeps an object's (shorter
# first, then by bytes): dumped as it is, it is the text PostgreSQL stores (`prepare`).
_JSONB_MAKERS: dict[type, Maker] = {
    cls: _maker(tuple(sorted(names, key=lambda n: (len(n.encode()), n.encode()))), _COLUMNS[cls])
    for cls, names in _CONTENT_FIELDS.items()
}
# Per record type: the hashed fields whose type admits a float, the only places a record holds
# one (mypy holds the parsers to the types).
_FLOAT_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(
        name
        for name, hint in typing.get_type_hints(cls).items()
        if name in names and float in (hint, *typing.get_args(hint))
    )
    for cls, names in _CONTENT_FIELDS.items()
}


def _json_default(value: Any) -> Any:
    """What json cannot write itself: dates (ISO) and read-only mappings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"unexpected {type(value).__name__} in a record")


# The canonical form, as the standard library writes it (made once: json.dumps with options
# builds a new encoder on every call).
_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
)
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS


def _canonical(kind: type, content: dict[str, Any]) -> str:
    """The canonical JSON of a record's content."""
    encoded = _orjson_canonical(kind, content)
    return _CANONICAL.encode(content) if encoded is None else encoded.decode()


def _orjson_canonical(kind: type, content: dict[str, Any]) -> bytes | None:
    """The canonical JSON of the content of a record of type `kind` as orjson writes it (UTF-8),
    ten times faster than _CANONICAL; None where the two would differ, as stored hashes depend
    on every byte: floats that Python writes in exponent form (below 1e-4, from 1e16), NaN and
    infinities (floats occur only in the top-level fields typed so, _FLOAT_FIELDS), and what
    orjson refuses (integers beyond 64 bits, lone surrogates)."""
    for name in _FLOAT_FIELDS[kind]:
        value = content[name]
        if type(value) is float and not (value == 0 or 1e-4 <= abs(value) < 1e16):
            return None
    try:
        return orjson.dumps(content, default=_json_default, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return None


def content_json(record: Record) -> JsonText:
    """The normalised record, canonical JSON (keys sorted): the contract's fields without
    where the page came from and `errors`. This is what is hashed and kept as a version."""
    kind = type(record)
    return JsonText(_canonical(kind, _MAKERS[kind](record)[0]))


def content_hash(text: str) -> str:
    """SHA-256 of the canonical JSON."""
    return hashlib.sha256(text.encode()).hexdigest()


def url_key(url: str) -> str:
    """The natural key of a page known only by its URL (raises NormaliseError on a bad URL)."""
    return "url:" + normalise_source_url(url)


def project_key(record: ProjectRecord, url: str | None) -> str | None:
    """`<period> <number>`, else the normalised URL; None when the record has neither."""
    if record.programme_period is None:
        return None
    if record.project_number is not None:
        return f"{record.programme_period} {record.project_number}"
    return url_key(url) if url else None


class Prepared(NamedTuple):
    """A record ready for the database: key, hash, normalised content, and its table's column
    values in the order of PROJECT_COLUMNS or NEWS_COLUMNS (made by the thousand: tuples, not
    a dict per row)."""

    key: str
    hash: str
    content_json: JsonText
    values: tuple[Any, ...]
    # What the database stores as the version's record: content_json, or on PostgreSQL the
    # same content with its keys in jsonb's order (`prepare`'s `jsonb_order`).
    stored_json: JsonText | JsonBytes


def prepare(record: Record, url: str | None, key: str, *, jsonb_order: bool = False) -> Prepared:
    """Key, hash and column values of a project, or of a news record (which has its URL).
    Project `sections` as a dict: a read-only mapping is no JSON object to the encoders.

    `jsonb_order` (PostgreSQL): the text to store has the keys in the order jsonb keeps them
    (shorter first, then by bytes), the same jsonb value as content_json: the server then
    finds them sorted instead of sorting them, 6-9 % of its work in a first load of 10,000
    projects (0.46-0.48 s of server CPU against 0.43-0.44 s). Where the standard library
    wrote content_json (floats in exponent form, integers beyond 64 bits) it is stored as it is."""
    kind = type(record)
    if not (kind is ProjectRecord or (kind is NewsRecord and url is not None)):
        raise TypeError(f"only projects and news with a URL are stored, not {record.kind}")
    content, columns = (_JSONB_MAKERS if jsonb_order else _MAKERS)[kind](record)
    encoded = _orjson_canonical(kind, content)  # hashed as UTF-8 bytes, made once
    stored: JsonText | JsonBytes
    if encoded is None:
        text = JsonText(_CANONICAL.encode(content))
        digest, stored = content_hash(text), text
    else:
        text, digest = JsonText(encoded, "utf-8"), hashlib.sha256(encoded).hexdigest()
        stored = text
        if jsonb_order:  # the content's keys are in jsonb's order (_JSONB_MAKERS)
            stored = JsonBytes(orjson.dumps(content, default=_json_default))
    if kind is ProjectRecord and type(columns[_SECTIONS]) is not dict:
        sections = dict(columns[_SECTIONS])
        columns = (*columns[:_SECTIONS], sections, *columns[_SECTIONS + 1 :])
    # tuple.__new__ as a named tuple's own constructor (a Python function) cost twice as much
    return tuple.__new__(Prepared, (key, digest, text, columns, stored))


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"old": …, "new": …}}` for every hashed field whose value differs."""
    return {
        name: {"old": old.get(name), "new": new.get(name)}
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    }
