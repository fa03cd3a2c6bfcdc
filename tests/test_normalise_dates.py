"""Dates and periods: ISO and Swedish long forms, month-only news dates, ranges of both."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import (
    NormaliseError,
    format_date_sv,
    parse_date,
    parse_period,
    parse_published_date,
)
from parsers.normalisers.dates import MONTHS_SV

SETTINGS = settings(max_examples=200, deadline=None)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
D = dt.date


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2008-09-01", D(2008, 9, 1)),
        ("2023-02-01", D(2023, 2, 1)),
        ("21 januari 2020", D(2020, 1, 21)),
        ("2 oktober, 2020", D(2020, 10, 2)),
        ("7 april 2015", D(2015, 4, 7)),
        ("29 maj 2020", D(2020, 5, 29)),
        ("16 oktober 2014", D(2014, 10, 16)),
        ("1 September 2023", D(2023, 9, 1)),
        ("2 okt 2020", D(2020, 10, 2)),
        ("2 okt. 2020", D(2020, 10, 2)),
        ("12 sept. 2019", D(2019, 9, 12)),
        ("den 7 april 2015", D(2015, 4, 7)),
        ("tisdag den 7 april 2015", D(2015, 4, 7)),
        ("Tisdag 7 april 2015", D(2015, 4, 7)),
        ("1:a maj 2020", D(2020, 5, 1)),
        ("21 January 2020", D(2020, 1, 21)),
        ("October 2, 2020", D(2020, 10, 2)),
        ("29 februari 2024", D(2024, 2, 29)),
        ("21\u00a0januari\u00a02020", D(2020, 1, 21)),
    ],
)
def test_reads_dates(text: str, date: dt.date) -> None:
    assert parse_date(text) == date


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Februari 2013", "only month and year"),
        ("maj 2020", "only month and year"),
        ("2021-02-30", "real calendar date"),
        ("29 februari 2023", "real calendar date"),
        ("2021-13-01", "real calendar date"),
        ("32 januari 2020", "real calendar date"),
        ("21 janvier 2020", "month name"),
        ("21 januari", "date like"),
        ("2020", "date like"),
        ("21/1 2020", "date like"),
        ("igår", "date like"),
    ],
)
def test_rejects_what_is_not_a_full_date(text: str, reason: str) -> None:
    with pytest.raises(NormaliseError, match=reason):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2023-02-01 00:00:00", D(2023, 2, 1)),
        ("2023-02-01T00:00:00", D(2023, 2, 1)),
        ("2020-05-29 10:15", D(2020, 5, 29)),
        ("29 maj 2020 kl. 10:00", D(2020, 5, 29)),
        ("29 maj 2020, kl 10.00", D(2020, 5, 29)),
    ],
)
def test_a_time_of_day_after_a_full_date_is_dropped(text: str, date: dt.date) -> None:
    """Database-rendered fields and news meta lines add a time; the date is still stated whole."""
    assert parse_date(text) == date


@pytest.mark.parametrize("text", ["maj 2020 kl. 10:00", "kl. 10:00", "2020-05-29 25:00"])
def test_a_time_does_not_complete_a_date(text: str) -> None:
    with pytest.raises(NormaliseError):
        parse_date(text)


@pytest.mark.parametrize(
    "text",
    [
        "2008-09-01 till och med 2009-02-28",
        "2008-09-01 \u2010 2009-02-28",  # hyphen
        "2008-09-01\u22122009-02-28",  # minus sign
        "1 september 2008 \u2011 28 februari 2009",  # non-breaking hyphen
    ],
)
def test_periods_with_other_separators(text: str) -> None:
    assert parse_period(text) == (D(2008, 9, 1), D(2009, 2, 28))


def test_a_period_of_dates_with_times() -> None:
    assert parse_period("2023-09-01 00:00:00 - 2026-08-31 00:00:00") == (
        D(2023, 9, 1),
        D(2026, 8, 31),
    )


@pytest.mark.parametrize("text", ["Februari 2013", "april 2015", " Maj, 2020 "])
def test_published_date_given_as_month_and_year_is_null(text: str) -> None:
    assert parse_published_date(text) is None


def test_published_date_reads_full_dates_and_rejects_the_unreadable() -> None:
    assert parse_published_date("21 januari 2020") == D(2020, 1, 21)
    with pytest.raises(NormaliseError):
        parse_published_date("snart")
    with pytest.raises(NormaliseError):
        parse_published_date("Smarch 2013")


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2008-09-01 till 2009-02-28", (D(2008, 9, 1), D(2009, 2, 28))),
        ("2016-08-01-2019-03-31", (D(2016, 8, 1), D(2019, 3, 31))),
        ("2015-05-01-2018-06-30", (D(2015, 5, 1), D(2018, 6, 30))),
        ("2019-09-02 - 2023-02-28", (D(2019, 9, 2), D(2023, 2, 28))),
        ("2019-09-02 – 2023-02-28", (D(2019, 9, 2), D(2023, 2, 28))),
        ("2019-09-02—2023-02-28", (D(2019, 9, 2), D(2023, 2, 28))),
        ("2008-09-01 -- 2009-02-28", (D(2008, 9, 1), D(2009, 2, 28))),
        ("1 september 2023 – 31 augusti 2026", (D(2023, 9, 1), D(2026, 8, 31))),
        ("från 2008-09-01 till 2009-02-28", (D(2008, 9, 1), D(2009, 2, 28))),
        # The order is the loader's to check, not the normaliser's.
        ("2009-02-28 till 2008-09-01", (D(2009, 2, 28), D(2008, 9, 1))),
    ],
)
def test_reads_periods(text: str, period: tuple[dt.date, dt.date]) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize(
    "text",
    [
        "September 2023–augusti 2026",  # month-only, as a third-party page writes it
        "2008-09-01",
        "2008-09-01 till",
        "2008-09-01 och 2009-02-28",
        "2008-09-01 till 2009-02-28 till 2010-01-01",
        "Projektet pågår " + "-" * 200 + " 2008-09-01 till 2009-02-28",
    ],
)
def test_rejects_what_is_not_a_period(text: str) -> None:
    with pytest.raises(NormaliseError, match="date range"):
        parse_period(text)


def test_a_period_with_an_impossible_date_says_so() -> None:
    with pytest.raises(NormaliseError, match="real calendar date"):
        parse_period("2008-09-01 till 2009-02-30")


def test_format_date_sv_writes_the_long_swedish_form() -> None:
    assert format_date_sv(D(2020, 1, 21)) == "21 januari 2020"
    assert format_date_sv(D(2023, 9, 1)) == "1 september 2023"


@SETTINGS
@given(dates)
def test_iso_and_swedish_forms_parse_back(date: dt.date) -> None:
    assert parse_date(date.isoformat()) == date
    assert parse_date(format_date_sv(date)) == date


@SETTINGS
@given(
    date=dates,
    weekday=st.sampled_from(["", "måndag ", "Fredag den ", "den "]),
    month_form=st.sampled_from(["full", "capitalised", "abbreviated", "abbreviated."]),
    comma=st.sampled_from(["", ","]),
)
def test_swedish_month_names_in_every_form_parse_back(
    date: dt.date, weekday: str, month_form: str, comma: str
) -> None:
    month = MONTHS_SV[date.month - 1]
    written = {
        "full": month,
        "capitalised": month.capitalize(),
        "abbreviated": month[:3],
        "abbreviated.": month[:3] + ".",
    }[month_form]
    assert parse_date(f"{weekday}{date.day} {written}{comma} {date.year}") == date


@SETTINGS
@given(date=dates)
def test_month_and_year_alone_is_never_a_date(date: dt.date) -> None:
    month_year = f"{MONTHS_SV[date.month - 1].capitalize()} {date.year}"
    assert parse_published_date(month_year) is None
    with pytest.raises(NormaliseError, match="only month and year"):
        parse_date(month_year)


@SETTINGS
@given(
    start=dates,
    end=dates,
    separator=st.sampled_from([" till ", "-", " - ", "–", " – ", "—", " -- "]),
    swedish=st.booleans(),
)
def test_formatted_period_parses_back(
    start: dt.date, end: dt.date, separator: str, swedish: bool
) -> None:
    write = format_date_sv if swedish else dt.date.isoformat
    assert parse_period(f"{write(start)}{separator}{write(end)}") == (start, end)
