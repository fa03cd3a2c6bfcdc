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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


_CONTENT_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls) if f.name not in NOT_HASHED)
    for cls in (ProjectRecord, NewsRecord, PageRecord)
}


def _json_default(value: Any) -> Any:
    """What json cannot write itself: dates (ISO) and read-only mappings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"unexpected {type(value).__name__} in a record")


def content_json(record: Record) -> JsonText:
    """The normalised record, canonical JSON (keys sorted): the contract's fields without
    where the page came from and `errors`. This is what is hashed and kept as a version."""
    content = {name: getattr(record, name) for name in _CONTENT_FIELDS[type(record)]}
    return JsonText(
        json.dumps(
            content,
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
            default=_json_default,
        )
    )


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


def project_row(record: ProjectRecord, url: str | None) -> dict[str, Any]:
    """The projects columns of a record (its lists go to the child tables)."""
    row = {name: getattr(record, name) for name in PROJECT_COLUMNS}
    row["sections"] = dict(record.sections)
    row["unknown_labels"] = list(record.unknown_labels)
    row["source_url"] = url
    return row


def news_row(record: NewsRecord, url: str) -> dict[str, Any]:
    return {
        "source_url": url,
        "title": record.title,
        "published_date": record.published_date,
        "body": record.body,
        "unknown_labels": list(record.unknown_labels),
    }


def prepare(record: Record, url: str | None, key: str) -> Prepared:
    """Key, hash and row of a project, or of a news record (which has its URL)."""
    if isinstance(record, ProjectRecord):
        row = project_row(record, url)
    elif isinstance(record, NewsRecord) and url is not None:
        row = news_row(record, url)
    else:
        raise TypeError(f"only projects and news with a URL are stored, not {record.kind}")
    text = content_json(record)
    return Prepared(key=key, hash=content_hash(text), content_json=text, row=row)


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"old": …, "new": …}}` for every hashed field whose value differs."""
    return {
        name: {"old": old.get(name), "new": new.get(name)}
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    }
