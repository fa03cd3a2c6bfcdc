"""A source row on its way in: typed values, or the problems that kept them out.

`Cells` reads the fields of one CSV row through the project's normalisers; a value that does not
parse leaves its field null and becomes a Problem (quarantined in parse_errors with the file,
line, column and value), never a silent null.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from load.sources.csvfile import CsvRow
from parsers.normalisers import NormaliseError, clean_text, parse_date, parse_percent

_T = TypeVar("_T")
_BARE_NUMBER = re.compile(r"\d{1,3}(?:[.,]\d+)?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True, slots=True)
class Problem:
    field: str | None
    label: str | None
    value: str | None
    message: str

    def describe(self) -> str:
        """`line 7: column 'Startdatum / Start date' value '2019-13-01': <why>`."""
        line, _, why = self.message.partition(": ")
        if self.label is None:
            return self.message
        return f"{line}: column {self.label!r} value {self.value!r}: {why}"


@dataclass(slots=True)
class SourceRow:
    """`key` is None when the row failed as a whole; `skipped` names why a readable row is not
    for this import (another country: counted, not an error)."""

    line: int
    key: str | None
    period: str | None
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    skipped: str | None = None


_Parsed = tuple[Any, str | None]  # (value, error message)
_CACHE_LIMIT = 10_000


class Cells:
    """The fields of one row, read with normalisers; problems collected on the way.

    Parsed values are remembered by (normaliser, text): source files repeat the same org
    numbers, dates and rates thousands of times, and normalising is most of an import's time.
    """

    _memo: dict[tuple[Callable[[str], Any], str], _Parsed] = {}  # noqa: RUF012 (a shared cache)

    def __init__(self, row: CsvRow, labels: Mapping[str, str]) -> None:
        self.row = row
        self.labels = labels
        self.problems: list[Problem] = []

    def text(self, name: str) -> str | None:
        """The field with its whitespace collapsed; None when absent or blank."""
        raw = self.row.values.get(name)
        if raw is None:
            return None
        # ASCII needs no Unicode clean-up: splitting on whitespace is clean_text's result.
        cleaned = " ".join(raw.split()) if raw.isascii() else clean_text(raw)
        return cleaned or None

    def parsed(self, name: str, parse: Callable[[str], _T]) -> _T | None:
        raw = self.text(name)
        if raw is None:
            return None
        memo = Cells._memo
        found = memo.get((parse, raw))
        if found is None:
            try:
                found = (parse(raw), None)
            except NormaliseError as exc:
                found = (None, str(exc))
            if len(memo) >= _CACHE_LIMIT:
                memo.clear()
            memo[(parse, raw)] = found
        value, error = found
        if error is not None:
            self.problem(name, raw, error)
        return cast(_T | None, value)

    def problem(self, name: str | None, value: str | None, message: str) -> None:
        label = self.labels.get(name) if name is not None else None
        self.problems.append(Problem(name, label, value, f"line {self.row.line}: {message}"))


def parse_rate(text: str) -> float:
    """A co-financing rate: `90%`, `66,5 %`, or a bare `40.0` (Kohesio's), as a number."""
    return float(parse_percent(f"{text}%" if _BARE_NUMBER.fullmatch(text) else text))


def parse_any_date(text: str) -> Any:
    """ISO or Swedish dates (the project's normaliser), and Kohesio's `dd/mm/yyyy`."""
    match = _DAY_MONTH_YEAR.fullmatch(text)
    if match is not None:
        day, month, year = match.groups()
        return parse_date(f"{year}-{int(month):02d}-{int(day):02d}")
    return parse_date(text)


def whole_row_problem(row: CsvRow, message: str) -> SourceRow:
    problem = Problem(None, None, None, f"line {row.line}: {message}")
    return SourceRow(row.line, None, None, problems=[problem])
