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

from load.rows import NOT_HASHED, PROJECT_COLUMNS, content_hash, content_json, prepare
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
