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
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from load.bulk import JsonText
from parsers.records import NewsRecord, PageRecord, ProjectRecord, Record
from parsers.urls import normalise_source_url

# Record fields that say where a page was read from (the contract's `source_path` and
# `source_url`) or how parsing went: not content.
NOT_HASHED = frozenset({"source", "errors"})

# Record fields stored as child rows or handled separately rather than as projects columns.
_PROJECT_LISTS = ("municipalities", "partners", "cofinanciers")
_NOT_PROJECT_COLUMNS = frozenset({"source", "kind", "errors", *_PROJECT_LISTS})
PROJECT_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ProjectRecord) if f.name not in _NOT_PROJECT_COLUMNS
)


# Per record type: the hashed field names in sorted order, and a getter of their values.
_CONTENT_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(sorted(f.name for f in dataclasses.fields(cls) if f.name not in NOT_HASHED))
    for cls in (ProjectRecord, NewsRecord, PageRecord)
}
_CONTENT_GETTERS: dict[type, Callable[[Record], tuple[Any, ...]]] = {
    cls: operator.attrgetter(*names) for cls, names in _CONTENT_FIELDS.items()
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


def _orjson_writes_it_alike(content: dict[str, Any]) -> bool:
    """orjson writes what _CANONICAL writes, ten times faster, except floats that Python
    writes in exponent form (below 1e-4, from 1e16), NaN and infinities. Floats occur only
    as top-level fields of a record."""
    values = content.values()
    if float not in set(map(type, values)):
        return True
    return all(v == 0 or 1e-4 <= abs(v) < 1e16 for v in values if type(v) is float)


def _canonical(content: dict[str, Any]) -> str:
    """The canonical JSON of a record's content. Stored hashes depend on every byte, so
    orjson is used only where it writes exactly what the standard library does; what it
    refuses (integers beyond 64 bits, lone surrogates) falls back too."""
    if _orjson_writes_it_alike(content):
        try:
            return orjson.dumps(content, default=_json_default, option=_ORJSON_OPTIONS).decode()
        except orjson.JSONEncodeError:
            pass
    return _CANONICAL.encode(content)


def _content(record: Record) -> dict[str, Any]:
    kind = type(record)
    return dict(zip(_CONTENT_FIELDS[kind], _CONTENT_GETTERS[kind](record), strict=True))


def content_json(record: Record) -> JsonText:
    """The normalised record, canonical JSON (keys sorted): the contract's fields without
    where the page came from and `errors`. This is what is hashed and kept as a version."""
    return JsonText(_canonical(_content(record)))


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


@dataclass(frozen=True, slots=True)
class Prepared:
    """A record ready for the database: key, hash, normalised content and table row."""

    key: str
    hash: str
    content_json: JsonText
    row: dict[str, Any]


def project_row(content: Mapping[str, Any], url: str | None) -> dict[str, Any]:
    """The projects columns of a record's content (its lists go to the child tables)."""
    row = {name: content[name] for name in PROJECT_COLUMNS}
    row["sections"] = dict(content["sections"])
    row["unknown_labels"] = list(content["unknown_labels"])
    row["source_url"] = url
    return row


def news_row(content: Mapping[str, Any], url: str) -> dict[str, Any]:
    return {
        "source_url": url,
        "title": content["title"],
        "published_date": content["published_date"],
        "body": content["body"],
        "unknown_labels": list(content["unknown_labels"]),
    }


def prepare(record: Record, url: str | None, key: str) -> Prepared:
    """Key, hash and row of a project, or of a news record (which has its URL)."""
    content = _content(record)
    if isinstance(record, ProjectRecord):
        row = project_row(content, url)
    elif isinstance(record, NewsRecord) and url is not None:
        row = news_row(content, url)
    else:
        raise TypeError(f"only projects and news with a URL are stored, not {record.kind}")
    text = JsonText(_canonical(content))
    return Prepared(key=key, hash=content_hash(text), content_json=text, row=row)


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"old": …, "new": …}}` for every hashed field whose value differs."""
    return {
        name: {"old": old.get(name), "new": new.get(name)}
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    }
