"""Records into table rows: natural keys, content hashes and the column values.

The content hash covers the normalised record, not the raw page: the contract's fields without
where the page was read from (`source_path`, `source_url`) and without the parser's `errors`, so
a banner change, a new URL for the same project or a re-run from another folder is no change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parsers.records import NewsRecord, ProjectRecord, Record, to_json_dict
from parsers.urls import normalise_source_url

NOT_HASHED = frozenset({"source_path", "source_url", "errors"})

# Record fields stored as child rows or handled separately rather than as projects columns.
_PROJECT_LISTS = ("municipalities", "partners", "cofinanciers")
_NOT_PROJECT_COLUMNS = frozenset({"source", "kind", "errors", *_PROJECT_LISTS})
PROJECT_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ProjectRecord) if f.name not in _NOT_PROJECT_COLUMNS
)


def content_hash(contract: Mapping[str, Any]) -> str:
    """SHA-256 over the contract JSON of a record minus NOT_HASHED, with sorted keys."""
    payload = {k: v for k, v in contract.items() if k not in NOT_HASHED}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
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
    """A record ready for the database: its key, hash, contract JSON and (for projects) row."""

    key: str
    hash: str
    contract: dict[str, Any]
    row: dict[str, Any]


def project_row(record: ProjectRecord, url: str | None) -> dict[str, Any]:
    """The projects columns of a record (lists go to child tables, see `child_rows`)."""
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
    """Key, hash and row of a project or news record whose key is known."""
    contract = to_json_dict(record)
    if isinstance(record, ProjectRecord):
        row = project_row(record, url)
    elif isinstance(record, NewsRecord) and url is not None:
        row = news_row(record, url)
    else:
        row = {}
    return Prepared(key=key, hash=content_hash(contract), contract=contract, row=row)


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"old": …, "new": …}}` for every hashed field whose value differs."""
    return {
        name: {"old": old.get(name), "new": new.get(name)}
        for name in sorted(set(old) | set(new))
        if name not in NOT_HASHED and old.get(name) != new.get(name)
    }
