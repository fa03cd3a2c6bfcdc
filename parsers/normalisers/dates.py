"""Swedish dates and date ranges: ISO `2008-09-01`, `21 januari 2020`, `2 okt. 2020`, periods.

Hand-written regular expressions rather than dateparser: stricter (no guessing of a missing day
or year) and far faster. A date given only as month and year is not a date; news pages that
write one have a null published date (`parse_published_date`).
"""

from __future__ import annotations

import datetime as dt
import re

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text

MONTHS_SV: tuple[str, ...] = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
_MONTHS_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_ABBREVIATIONS = {"sept": 9, "okt": 10, "oct": 10}


def _month_numbers() -> dict[str, int]:
    numbers: dict[str, int] = dict(_ABBREVIATIONS)
    for names in (MONTHS_SV, _MONTHS_EN):
        for number, name in enumerate(names, start=1):
            numbers[name] = number
            numbers[name[:3]] = number
    return numbers


_MONTH_NUMBERS = _month_numbers()

_WEEKDAY = (
    r"(?:måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag|mån|tis|ons|tors|tor|fre|lör|sön"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)"
)
_MONTH = r"(?P<month>[a-zåäö]+)\.?"
_YEAR = r"(?P<year>[0-9]{4})"
_ISO = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})")
_DAY_MONTH_YEAR = re.compile(
    rf"(?:{_WEEKDAY}\.?,? )?(?:den )?(?P<day>[0-9]{{1,2}})(?::[ae])?\.? {_MONTH},? {_YEAR}"
)
_MONTH_DAY_YEAR = re.compile(rf"{_MONTH} (?P<day>[0-9]{{1,2}}),? {_YEAR}")
_MONTH_YEAR = re.compile(rf"{_MONTH},? {_YEAR}")
# A time of day after a date (`2023-02-01 00:00:00`, `2023-02-01T00:00`, `29 maj 2020 kl. 10.00`):
# the date is stated in full, the time is not part of any field.
_TIME_SUFFIX = re.compile(
    r"(?:t|,? (?:kl\.? ?)?)(?:[01]?[0-9]|2[0-3])[:.][0-5][0-9](?:[:.][0-5][0-9])?$"
)

# The common shape, two ISO dates, read in one match; everything else tries each separator.
_ISO_RANGE = re.compile(
    r"(?P<y1>[0-9]{4})-(?P<m1>[0-9]{1,2})-(?P<d1>[0-9]{1,2})"
    r"(?: ?(?:--|[-–—‐‑‒−]) ?| till )"
    r"(?P<y2>[0-9]{4})-(?P<m2>[0-9]{1,2})-(?P<d2>[0-9]{1,2})"
)
# Any dash a text editor puts between two dates (hyphen, en and em dash, U+2010–2012, minus sign);
# `till och med` is the long form of `t.o.m.`.
_RANGE_SEPARATOR = re.compile(r" (?:till och med|till|to|t\.o\.m\.?) | ?(?:--|[-–—‐‑‒−]) ?")
# Two long-form dates and a separator fit easily; anything longer is prose, not a period, and
# is refused before trying each of its dashes as the separator.
_MAX_PERIOD_LENGTH = 80
_RANGE_PREFIX = re.compile(r"(?:från|fr\.o\.m\.?|from) ")


def _month_number(name: str, text: str) -> int:
    number = _MONTH_NUMBERS.get(name)
    if number is None:
        raise NormaliseError(f"expected a month name like 'januari' or 'okt', got {text!r}")
    return number


def _build(year: str, month: int, day: str, text: str) -> dt.date:
    try:
        return dt.date(int(year), month, int(day))
    except ValueError:
        raise NormaliseError(f"expected a real calendar date, got {text!r}") from None


def _is_month_year(cleaned: str) -> bool:
    match = _MONTH_YEAR.fullmatch(cleaned)
    return match is not None and match["month"] in _MONTH_NUMBERS


def parse_date(text: str) -> dt.date:
    """A full date: ISO or Swedish (`21 januari 2020`, `2 oktober, 2020`, `den 7 april 2015`),
    possibly followed by a time of day."""
    cleaned = _TIME_SUFFIX.sub("", clean_text(text).lower())
    if match := _ISO.fullmatch(cleaned):
        return _build(match["year"], int(match["month"]), match["day"], text)
    match = _DAY_MONTH_YEAR.fullmatch(cleaned) or _MONTH_DAY_YEAR.fullmatch(cleaned)
    if match is not None:
        return _build(match["year"], _month_number(match["month"], text), match["day"], text)
    if _is_month_year(cleaned):
        raise NormaliseError(f"expected a full date with a day, got only month and year: {text!r}")
    raise NormaliseError(f"expected a date like '2020-01-21' or '21 januari 2020', got {text!r}")


def parse_published_date(text: str) -> dt.date | None:
    """A news date: like `parse_date`, but month and year only (`Februari 2013`) gives None."""
    if _is_month_year(clean_text(text).lower()):
        return None
    return parse_date(text)


def format_date_sv(value: dt.date) -> str:
    """The Swedish long form pages use, `21 januari 2020`."""
    return f"{value.day} {MONTHS_SV[value.month - 1]} {value.year}"


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """Start and end of a range (`2008-09-01 till 2009-02-28`, `2016-08-01-2019-03-31`).

    The order is not checked here: the loader validates it, so a reversed period on a page is
    reported there with the record's context.
    """
    cleaned = clean_text(text).lower()
    if len(cleaned) > _MAX_PERIOD_LENGTH:
        raise NormaliseError(f"expected a date range, got {len(cleaned)} characters of text")
    if prefix := _RANGE_PREFIX.match(cleaned):
        cleaned = cleaned[prefix.end() :]
    if match := _ISO_RANGE.fullmatch(cleaned):
        return (
            _build(match["y1"], int(match["m1"]), match["d1"], text),
            _build(match["y2"], int(match["m2"]), match["d2"], text),
        )
    found: set[tuple[dt.date, dt.date]] = set()
    for separator in _RANGE_SEPARATOR.finditer(cleaned):
        try:
            start = parse_date(cleaned[: separator.start()])
            end = parse_date(cleaned[separator.end() :])
        except NormaliseError:
            continue
        found.add((start, end))
    if len(found) != 1:
        raise NormaliseError(
            f"expected a date range like '2008-09-01 till 2009-02-28', got {text!r}"
        )
    return found.pop()
