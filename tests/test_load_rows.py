"""The canonical record JSON, which content hashes are taken over, is byte for byte what the
standard library writes, whichever encoder writes it: stored hashes stay valid."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from load.rows import (
    NOT_HASHED,
    PROJECT_COLUMNS,
    content_hash,
    content_json,
    prepare,
)
from parsers.page import parse_path
from parsers.records import NewsRecord, PageRecord, Record, Source
from tests.plugins.db import synthetic_project

PAGES = Path(__file__).parent / "fixtures" / "load" / "pages"


def stdlib_canonical(record: Record) -> str:
    """The definition: json.dumps with sorted keys, compact, UTF-8, dates as ISO."""

    def default(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        return dict(value)

    content = {
        f.name: getattr(record, f.name)
        for f in dataclasses.fields(record)
        if f.name not in NOT_HASHED
    }
    return json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=default
    )


ODD_VALUES: list[dict[str, Any]] = [
    {"eu_cofinancing_rate_pct": 1e-05},  # Python writes 1e-05, orjson 0.00001
    {"eu_cofinancing_rate_pct": 0.0001},
    {"eu_cofinancing_rate_pct": 33.33},
    {"eu_cofinancing_rate_pct": 0.0},
    {"planned_participants": 2**70},  # beyond 64 bits
    {"title": "Halv surrogat \ud800 här"},
    {"title": 'Citat "x", snedstreck \\ / och \u2028 \x7f \x00 \x1f tab\t 😀 Åäö'},
    {"sections": MappingProxyType({"Syfte": "Ö", "Bakgrund": "A", "Ärende": "Z", "aa": "b"})},
    {"unknown_labels": ("Övrigt", "Annat")},
]


@pytest.mark.parametrize("changes", ODD_VALUES, ids=[next(iter(c)) for c in ODD_VALUES])
def test_odd_values_are_written_as_the_standard_library_writes_them(
    changes: dict[str, Any],
) -> None:
    record = synthetic_project(7, **changes)
    assert content_json(record) == stdlib_canonical(record)


def test_every_fixture_page_and_record_kind_is_written_alike() -> None:
    records: list[Record] = [parse_path(path) for path in sorted(PAGES.iterdir())]
    records += [
        NewsRecord(source=Source(url="u"), title="Nyhet", published_date=dt.date(2020, 1, 21)),
        PageRecord(source=Source(url="u"), kind="listing", title="Projekt"),
    ]
    assert {r.kind for r in records} >= {"project", "news", "listing"}
    for record in records:
        assert content_json(record) == stdlib_canonical(record), record.source


def test_prepare_hashes_the_canonical_json() -> None:
    record = synthetic_project(3)
    prepared = prepare(record, record.source.url, "key")
    assert prepared.content_json == stdlib_canonical(record)
    assert prepared.hash == content_hash(stdlib_canonical(record))


def test_prepare_gives_the_column_values_in_their_order_with_sections_as_a_dict() -> None:
    """One read of the record gives the hashed content and the projects columns alike."""
    sections = MappingProxyType({"Syfte": "Ö", "Bakgrund": "A"})
    record = synthetic_project(4, sections=sections, unknown_labels=("Övrigt",))
    prepared = prepare(record, record.source.url, "key")
    assert prepared.content_json == stdlib_canonical(record)
    values = dict(zip(PROJECT_COLUMNS, prepared.values, strict=True))
    assert values == {name: getattr(record, name) for name in PROJECT_COLUMNS} | {
        "sections": dict(sections)
    }
    assert type(values["sections"]) is dict


@pytest.mark.parametrize(
    ("record", "stored"),
    [
        (synthetic_project(3), "5e1f9cc0b93eadb72e8e8df3cb217ac3d8b02471c1eb1a91d3d58378c699f9fa"),
        (
            synthetic_project(4, eu_cofinancing_rate_pct=33.33, unknown_labels=("Övrigt",)),
            "3b0e12cc077332da2d14a19a253341e1b4929766b89621c59f59f116c225ed65",
        ),
        (
            NewsRecord(
                source=Source(url="https://www.esf.se/n"),
                title="Nyhet",
                published_date=dt.date(2020, 1, 21),
                body="Text",
            ),
            "35b57b43d29e7711ffd9b585feacfaf291e94041a5eed5f8041d3d15508b9be9",
        ),
    ],
    ids=["project", "project-float", "news"],
)
def test_the_hash_of_a_fixed_record_is_the_one_databases_already_hold(
    record: Record, stored: str
) -> None:
    """The hashes earlier releases stored: a changed one would make every page look changed."""
    assert prepare(record, record.source.url, "key").hash == stored
    assert content_hash(content_json(record)) == stored


# The odd values a database can store (UTF-8 holds no lone surrogate: such a record is
# quarantined, tests/test_load_store.py).
STORABLE = [c for c in ODD_VALUES if "\ud800" not in str(c.get("title"))]
# Where orjson would write another text than the standard library's, which then writes it.
WRITTEN_BY_THE_STANDARD_LIBRARY = [
    {"eu_cofinancing_rate_pct": 1e-05},
    {"planned_participants": 2**70},
]


@pytest.mark.parametrize(
    "changes", [{}, *STORABLE], ids=["plain", *(next(iter(c)) for c in STORABLE)]
)
def test_the_text_postgresql_stores_is_the_canonical_json_with_jsonb_s_key_order(
    changes: dict[str, Any],
) -> None:
    """Same value as the canonical JSON; keys shorter first, then by bytes, as jsonb keeps
    them (the server then does not sort them); the standard library's text, where it wrote
    the canonical JSON, as it is. SQLite stores the canonical JSON."""
    record = synthetic_project(7, **changes)
    prepared = prepare(record, None, "key", jsonb_order=True)
    assert prepare(record, None, "key").stored_json == prepared.content_json
    value = json.loads(prepared.stored_json)
    assert value == json.loads(prepared.content_json)
    keys = [key.encode() for key in value]
    if changes in WRITTEN_BY_THE_STANDARD_LIBRARY:
        assert prepared.stored_json == prepared.content_json
    else:
        assert keys == sorted(keys, key=lambda key: (len(key), key))
