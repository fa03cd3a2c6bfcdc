"""Plausible new pages from real ones: other number, title, amounts and dates, same layout.

Used by the site builder (a few extra committed pages) and by the synthetic site (thousands,
generated on request). Works on page text or HTML alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from html import escape

# Kronor written with space (or no-break space) thousands separators: "6 431 952", "221 114".
# The lookbehinds sit after the first digit so the regex engine can skip ahead to digits (3x
# faster on a page than a leading lookbehind, which matters for the synthetic site).
_AMOUNT = re.compile(r"\d(?<![\d/-]\d)\d{0,2}(?:[ \u00a0]\d{3})+(?!\d)")
_ISO_DATE = re.compile(r"(\d(?<!\d\d)\d{3})-(\d{2})-(\d{2})(?!\d)")


def _scaled_amount(match: re.Match[str], factor: float) -> str:
    separator = "\u00a0" if "\u00a0" in match.group(0) else " "
    value = round(int(re.sub(r"\D", "", match.group(0))) * factor)
    return f"{value:,}".replace(",", separator)


def _shifted_date(match: re.Match[str], days: int) -> str:
    try:
        date = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return match.group(0)
    return (date + dt.timedelta(days=days)).isoformat()


def vary(
    content: str,
    *,
    replace: Mapping[str, str],
    amount_factor: float = 1.0,
    date_shift_days: int = 0,
) -> str:
    """Replace each `replace` key (raw and HTML-escaped), scale amounts, shift ISO dates."""
    for old, new in replace.items():
        content = content.replace(old, new)
        if escape(old, quote=False) != old:
            content = content.replace(escape(old, quote=False), escape(new, quote=False))
    if amount_factor != 1.0:
        content = _AMOUNT.sub(lambda m: _scaled_amount(m, amount_factor), content)
    if date_shift_days:
        content = _ISO_DATE.sub(lambda m: _shifted_date(m, date_shift_days), content)
    return content
