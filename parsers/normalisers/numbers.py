"""Counts such as planned participants: `1337`, `1 337`, `0`; never negative, never fractional."""

from __future__ import annotations

import re

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text

# At most 12 digits: no count on a page comes near, and longer runs of digits are not a count.
_COUNT = re.compile(r"\d{1,3}(?P<sep>[ .])\d{3}(?:(?P=sep)\d{3}){0,2}|\d{1,12}", re.ASCII)


def parse_count(text: str) -> int:
    """A non-negative whole number, thousands optionally grouped by spaces or dots."""
    cleaned = clean_text(text)
    if _COUNT.fullmatch(cleaned) is None:
        raise NormaliseError(f"expected a whole non-negative number like '1 337', got {text!r}")
    return int(cleaned.replace(" ", "").replace(".", ""))
