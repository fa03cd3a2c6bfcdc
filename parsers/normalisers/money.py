"""Swedish money amounts to int kronor: `221 114 kr`, `6.431.952`, `32,6 MSEK`, and the English
pages' `SEK 16,383,064`.

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
# English grouping by commas (`16,383,064 SEK`, `983,000.00 SEK`), as English versions of pages
# write it: read only when it cannot be a Swedish decimal comma, i.e. with two or more comma groups
# or a decimal point after them. One group alone (`983,000`) is ambiguous: an error, not a pick.
_COMMA_GROUPED = re.compile(
    r"(?P<int>\d{1,3}(?:,\d{3}){2,5}|\d{1,3},\d{3}(?=\.))"
    r"(?:\.(?P<frac>\d{1,2}))?"
    r"(?: ?(?P<unit>[^\d\s].*))?",
    re.ASCII,
)
_AMBIGUOUS_COMMA = re.compile(r"\d{1,3},\d{3}(?: ?[^\d\s].*)?", re.ASCII)
# `SEK 4 826 582`: the currency written first, the English way.
_CURRENCY_FIRST = re.compile(r"sek ?(?=\d)", re.IGNORECASE)
_FOREIGN = re.compile(r"€|\$|£|\b(?:eur|euro|usd|nok|dkk|gbp)\b", re.IGNORECASE)


def _whole_kronor(match: re.Match[str], text: str) -> int:
    """The amount a matched number and unit state, if it is whole kronor."""
    unit = (match["unit"] or "").lower()
    factor = _UNIT_FACTORS.get(unit)
    if factor is None:
        raise NormaliseError(f"expected a kronor unit (kr, SEK, MSEK, ...), got {text!r}")
    whole = int(re.sub(r"[ .,]", "", match["int"])) * factor
    if match["frac"] is None:
        return whole
    fraction = Decimal(f"0.{match['frac']}") * factor
    if fraction != fraction.to_integral_value():
        raise NormaliseError(f"expected whole kronor, got a fraction of a krona: {text!r}")
    return whole + int(fraction)


def parse_money(text: str) -> int:
    """Whole kronor from a Swedish amount; raises NormaliseError for anything else."""
    cleaned = clean_text(text)
    if _FOREIGN.search(cleaned):
        raise NormaliseError(f"expected an amount in kronor, got another currency: {text!r}")
    if cleaned.startswith(("-", "−", "–")):
        raise NormaliseError(f"expected a non-negative amount in kronor, got {text!r}")
    currency_first = _CURRENCY_FIRST.match(cleaned)
    if currency_first is not None:
        cleaned = cleaned[currency_first.end() :]
    match = _COMMA_GROUPED.fullmatch(cleaned)
    if match is None:
        match = _AMOUNT.fullmatch(cleaned)
        if match is None:
            raise NormaliseError(f"expected an amount in kronor like '221 114 kr', got {text!r}")
        unit = (match["unit"] or "").lower()
        if _UNIT_FACTORS.get(unit) == 1 and _AMBIGUOUS_COMMA.fullmatch(cleaned):
            raise NormaliseError(
                "expected an amount in kronor, got an ambiguous comma (a decimal comma or an"
                f" English thousands separator): {text!r}"
            )
    if currency_first is not None and match["unit"]:
        raise NormaliseError(f"expected one currency, before or after the amount, got {text!r}")
    return _whole_kronor(match, text)


def format_money(value: int) -> str:
    """The site's own form, `221 114 kr`: thousands grouped by a space."""
    if value < 0:
        raise NormaliseError(f"expected a non-negative amount in kronor, got {value}")
    return f"{value:,} kr".replace(",", " ")
