"""Records travel from parse workers to the writer pickled (esfbank/parallel.py): by their
field values (parsers.records.pickled_by_fields), and come back equal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from typing import get_args

import pytest

from load.store import LoadItem
from parsers.records import FieldError, NewsRecord, PageRecord, Record, Source, pickled_by_fields
from tests.plugins.db import synthetic_project

_ERROR = FieldError("start_date", "Projektstart", "31 feb 2020", "no such date")
RECORDS: list[Record] = [
    synthetic_project(7, sections={"Bakgrund": "Text"}, errors=(_ERROR,)),
    NewsRecord(
        source=Source(path="news.html"),
        title="Nyhet",
        published_date=dt.date(2024, 5, 2),
        mentioned_project_numbers=("2019/00007",),
    ),
    PageRecord(source=Source(url="https://www.esf.se/utlysningar/"), kind="call"),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_a_load_item_comes_back_from_pickle_equal_field_for_field(record: Record) -> None:
    item = LoadItem(
        record=record,
        url="https://www.esf.se/projekt/7/",
        fetched_at=dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC),
        etag='"abc"',
    )
    back = pickle.loads(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
    assert back == item
    assert type(back.record) is type(record)
    assert dataclasses.asdict(back) == dataclasses.asdict(item)


def test_every_record_class_and_the_load_item_are_pickled_by_their_fields() -> None:
    """Not by dataclasses' generic methods, which look the fields up at each call."""
    classes = [LoadItem, Source, FieldError, *(c for c in get_args(Record))]
    assert [c.__setstate__.__module__ for c in classes] == ["parsers.records"] * len(classes)
    assert [c.__getstate__.__module__ for c in classes] == ["parsers.records"] * len(classes)


def test_a_class_of_one_field_is_refused_rather_than_pickled_wrong() -> None:
    """attrgetter of one name gives the value, not a tuple of it: its state would not be the
    tuple setstate reads."""

    with pytest.raises(TypeError, match="two fields or more"):

        @pickled_by_fields
        @dataclasses.dataclass(frozen=True, slots=True)
        class One:
            only: tuple[str, ...]
