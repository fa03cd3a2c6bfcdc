"""Percentages such as the EU co-financing rate: `40%` → 40, `66,5 %` → 66.5."""

from __future__ import annotations

import re
from decimal import Decimal

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text

_PERCENT = re.compile(r"(?P<int>[0-9]{1,3})(?:[,.](?P<frac>[0-9]+))? ?(?:%|procent)")


def parse_percent(text: str) -> int | float:
    """A percentage 0..100 with its sign; an int when whole, so `40%` stays the JSON number 40."""
    cleaned = clean_text(text).lower()
    match = _PERCENT.fullmatch(cleaned)
    if match is None:
        raise NormaliseError(f"expected a percentage like '40%' or '66,5 %', got {text!r}")
    value = Decimal(f"{match['int']}.{match['frac'] or '0'}")
    if value > 100:
        raise NormaliseError(f"expected a percentage between 0 and 100, got {text!r}")
    if value == value.to_integral_value():
        return int(value)
    return float(value)
