"""Swedish money amounts to int kronor: `221 114 kr`, `6.431.952`, `32,6 MSEK`.

Never rounds: an amount with a non-zero fraction of a krona, another currency or a minus sign
is an error, since each means the page says something other than a whole number of kronor.
"""

from __future__ import annotations

import re
from decimal import Decimal

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text

# Unit (lower-cased) → kronor per unit. "kr." and "kr" are the same unit.
_UNIT_FACTORS: dict[str, int] = {
    "": 1,
    "kr": 1,
    "kr.": 1,
    ":-": 1,
    ",-": 1,
    "kronor": 1,
    "sek": 1,
    "tkr": 1_000,
    "tsek": 1_000,
    "msek": 1_000_000,
    "mkr": 1_000_000,
    "mnkr": 1_000_000,
    "miljoner kronor": 1_000_000,
    "miljoner": 1_000_000,
    "mdkr": 1_000_000_000,
    "miljarder kronor": 1_000_000_000,
}

# Digits grouped in threes by one consistent separator (space or dot), or ungrouped, at most
# 18 of them (no budget comes near; longer runs of digits are not an amount); an optional
# decimal comma; an optional unit.
_AMOUNT = re.compile(
    r"(?P<int>\d{1,3}(?P<sep>[ .])\d{3}(?:(?P=sep)\d{3}){0,4}|\d{1,18})"
    r"(?:,(?P<frac>\d+))?"
    r"(?: ?(?P<unit>[^\d\s].*))?",
    re.ASCII,
)
_FOREIGN = re.compile(r"€|\$|£|\b(?:eur|euro|usd|nok|dkk|gbp)\b", re.IGNORECASE)


def parse_money(text: str) -> int:
    """Whole kronor from a Swedish amount; raises NormaliseError for anything else."""
    cleaned = clean_text(text)
    if _FOREIGN.search(cleaned):
        raise NormaliseError(f"expected an amount in kronor, got another currency: {text!r}")
    if cleaned.startswith(("-", "−", "–")):
        raise NormaliseError(f"expected a non-negative amount in kronor, got {text!r}")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise NormaliseError(f"expected an amount in kronor like '221 114 kr', got {text!r}")
    unit = (match["unit"] or "").lower()
    factor = _UNIT_FACTORS.get(unit)
    if factor is None:
        raise NormaliseError(f"expected a kronor unit (kr, SEK, MSEK, ...), got {text!r}")
    whole = int(match["int"].replace(" ", "").replace(".", "")) * factor
    if match["frac"] is None:
        return whole
    fraction = Decimal(f"0.{match['frac']}") * factor
    if fraction != fraction.to_integral_value():
        raise NormaliseError(f"expected whole kronor, got a fraction of a krona: {text!r}")
    return whole + int(fraction)


def format_money(value: int) -> str:
    """The site's own form, `221 114 kr`: thousands grouped by a space."""
    if value < 0:
        raise NormaliseError(f"expected a non-negative amount in kronor, got {value}")
    return f"{value:,} kr".replace(",", " ")
