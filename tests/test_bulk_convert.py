"""Values converted for SQLite by load/bulk.py a column at a time: the texts SQLAlchemy's own
Date and DateTime types write (and read back), whichever way a column is converted."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from load import bulk


class _Day(dt.date):
    """A date subclass: not what orjson is trusted to write as isoformat does."""


def _sqlalchemy_writes(column_type: sa.types.TypeEngine[Any], value: Any) -> Any:
    dialect = sa.create_engine("sqlite://").dialect
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    return processor(value)


def test_date_columns_are_written_as_sqlalchemy_writes_them() -> None:
    days = [dt.date(1, 1, 1), dt.date(999, 12, 31), dt.date(2024, 2, 29), dt.date(9999, 12, 31)]
    for column in ((*days, None), (*days, _Day(2020, 5, 17)), (None, None)):
        expected = [_sqlalchemy_writes(sa.Date(), v) for v in column]
        assert list(bulk._sqlite_dates(column)) == expected
    assert list(bulk._sqlite_dates((days[1],))) == ["0999-12-31"]


def test_datetime_columns_are_written_in_utc_as_sqlalchemy_writes_them() -> None:
    """Equal times in other zones are one time (one text); a naive time is kept as it is."""
    moment = dt.datetime(2026, 3, 29, 1, 30, 5, 123, tzinfo=dt.UTC)
    in_stockholm = moment.astimezone(ZoneInfo("Europe/Stockholm"))
    naive = dt.datetime(2026, 3, 29, 1, 30, 5, 123)
    column = (moment, None, in_stockholm, naive, moment + dt.timedelta(microseconds=1))
    utc = [v.astimezone(dt.UTC).replace(tzinfo=None) if v and v.tzinfo else v for v in column]
    expected = [_sqlalchemy_writes(sa.DateTime(), v) for v in utc]
    assert list(bulk._sqlite_datetimes(column)) == expected
    assert expected[0] == expected[2] == expected[3] == "2026-03-29 01:30:05.000123"
