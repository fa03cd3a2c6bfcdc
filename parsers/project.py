"""Project pages of all three programme periods → `ProjectRecord`, driven by the vocabulary.

The layouts differ only in how labels and values sit on the lines (labels.py reads them all);
here every stated value goes through its normaliser. A value that does not parse leaves its field
None and adds a `FieldError`; two labels stating different values for one field (Projektnummer
and Diarienummer, Projektperiod and Startdatum) are an error too, never a silent pick.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, get_args

from parsers.detect import Heading, period_from_url
from parsers.fields import NORMALISERS
from parsers.labels import FieldBlock
from parsers.normalisers import (
    NormaliseError,
    clean_text,
    parse_date,
    parse_nuts2,
    parse_period,
    parse_programme_area,
    parse_project_number,
    parse_region,
)
from parsers.records import FieldError, ProgrammePeriod, ProjectRecord, Source
from parsers.sections import read_free_text
from parsers.vocabulary import is_chrome

T = TypeVar("T")

_PERIODS: tuple[ProgrammePeriod, ...] = get_args(ProgrammePeriod)

_ESF_2014 = dt.date(2014, 1, 1)


def _parse_programme_period(text: str) -> ProgrammePeriod:
    value = clean_text(text).replace("–", "-").replace(" ", "")
    for period in _PERIODS:
        if value == period:
            return period
    raise NormaliseError(f"expected a programme period ({', '.join(_PERIODS)}), got {text!r}")


class _Stated:
    """The block's values by field: conflicts and parse failures become FieldErrors."""

    def __init__(self, block: FieldBlock) -> None:
        self.values: dict[str, tuple[str, str]] = {}  # field → (label, value as stated)
        self.errors: list[FieldError] = []
        self.conflicted: set[str] = set()
        for pair in block.pairs:
            value = clean_text(pair.value)
            if pair.field is None or not value:
                continue
            first = self.values.get(pair.field)
            if first is None:
                self.values[pair.field] = (pair.label, value)
            elif first[1].casefold() != value.casefold() and pair.field not in self.conflicted:
                self.conflicted.add(pair.field)
                self.conflict(pair.field, f"{first[0]} / {pair.label}", f"{first[1]} / {value}")
        for field in self.conflicted:
            del self.values[field]

    def conflict(self, field: str, label: str | None, value: str | None) -> None:
        self.errors.append(FieldError(field, label, value, "the page states different values"))

    def read(self, field: str, parse: Callable[[str], T]) -> T | None:
        stated = self.values.get(field)
        if stated is None:
            return None
        label, value = stated
        try:
            return parse(value)
        except NormaliseError as exc:
            self.errors.append(FieldError(field, label, value, str(exc)))
            return None

    def agree(self, field: str, first: T | None, second: T | None, label: str) -> T | None:
        """One value from two sources (a label and the heading, a period and a date)."""
        if field in self.conflicted:
            return None  # the labels already disagree among themselves
        if first is None or second is None or first == second:
            return first if first is not None else second
        self.conflict(field, label, f"{first} / {second}")
        return None


def _title(
    stated: _Stated, block: FieldBlock, heading: Heading | None, lines: Sequence[str]
) -> tuple[str | None, int]:
    """The title and where the free text may start at the earliest.

    Namn/Name, else the heading without its number, else the line right before the fields (the
    2007 layout: page chrome, banners, then the title), else the first line that is not chrome.
    """
    after_heading = 0 if heading is None else heading.index + 1
    named = stated.read("title", clean_text)
    if named:
        return named, after_heading
    if heading is not None:
        return heading.title, after_heading
    if block.lead:
        return clean_text(block.lead), 0
    if block.pairs:  # the last line before the fields that is not chrome (`Skriv ut`, ...)
        before = next(
            (line for line in reversed(lines[: block.start]) if not is_chrome(line)), None
        )
        return (None if before is None else clean_text(before)), 0
    for index, line in enumerate(lines):
        if not is_chrome(line):
            return clean_text(line), index + 1
    return None, 0


def parse_project(
    lines: Sequence[str], source: Source, block: FieldBlock, heading: Heading | None
) -> ProjectRecord:
    """Build the record of a page detected as a project page."""
    stated = _Stated(block)
    fields: dict[str, Any] = {name: stated.read(name, parse) for name, parse in NORMALISERS.items()}
    fields["title"], body_start = _title(stated, block, heading, lines)

    numbered = stated.read("project_number", parse_project_number)
    from_heading = None if heading is None else _heading_number(heading)
    number = stated.agree("project_number", numbered, from_heading, "Projektnummer / heading")
    fields["project_number"] = None if number is None else number[0]

    period = stated.agree(
        "programme_period",
        stated.read("programme_period", _parse_programme_period),
        None if number is None else number[1],
        "Programperiod / project number",
    )
    start, end = stated.read("period", parse_period) or (None, None)
    fields["start_date"] = _one_date(stated, "start_date", start)
    fields["end_date"] = _one_date(stated, "end_date", end)
    if period is None and "programme_period" not in stated.values:
        period = period_from_url(source.url)
        if (
            period is None
            and number is None
            and _is_2007_layout(block, stated, fields["start_date"])
        ):
            period = "2007-2013"
    fields["programme_period"] = period

    area = stated.read("programme_area", parse_programme_area)
    fields["programme_area"], fields["programme_area_name"] = area or (None, None)

    region = stated.read("region", parse_region)
    fields["region"] = None if region is None else region.name
    nuts2 = stated.read("nuts2", parse_nuts2)
    fields["nuts2"] = nuts2 if "nuts2" in stated.values or region is None else region.nuts2
    if region is not None and nuts2 is not None and region.nuts2 not in (None, nuts2):
        stated.conflict("nuts2", "Region / NUTS-2 kod", f"{region.name} / {nuts2}")
        fields["nuts2"] = None

    free = read_free_text(lines[max(block.end, body_start) :])
    return ProjectRecord(
        source=source,
        sections=free.sections,
        municipalities=free.lists.get("municipalities", ()),
        partners=free.lists.get("partners", ()),
        cofinanciers=free.lists.get("cofinanciers", ()),
        text_truncated=free.truncated,
        unknown_labels=tuple(dict.fromkeys(block.unknown_labels)),
        errors=tuple(stated.errors),
        **fields,
    )


def _is_2007_layout(block: FieldBlock, stated: _Stated, start: dt.date | None) -> bool:
    """Glued labels and Projektfas are the 2007–2013 layout; so is an unnumbered project that
    started before the 2014–2020 programme existed."""
    return block.glued or "phase" in stated.values or (start is not None and start < _ESF_2014)


def _heading_number(heading: Heading) -> tuple[str, ProgrammePeriod] | None:
    try:
        return parse_project_number(heading.number)
    except NormaliseError:
        return None  # shaped like a number but not one: the heading is just a title


def _one_date(stated: _Stated, field: str, from_period: dt.date | None) -> dt.date | None:
    """Startdatum/Slutdatum and the matching end of Projektperiod must agree when both are shown."""
    return stated.agree(field, stated.read(field, parse_date), from_period, "Projektperiod")
