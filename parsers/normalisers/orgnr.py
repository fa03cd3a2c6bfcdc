"""Swedish organisation numbers, normalised to `NNNNNN-NNNN` with the Luhn check digit verified.

The check is the Luhn sum over the ten digits, here rather than from python-stdnum: importing
stdnum costs `esfbank parse` 75 ms of start-up (it pulls in ssl, socket and pydoc).
"""

from __future__ import annotations

import re

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text

# Ten digits with an optional hyphen; the 12-digit form carries the century-like prefix "16".
_ORG_NUMBER = re.compile(r"(?:16)?(?P<head>[0-9]{6}) ?-? ?(?P<tail>[0-9]{4})")


def parse_org_number(text: str) -> str:
    """`8025185011`, `802518-5011` or `16802518-5011` → `802518-5011`, checksum validated."""
    match = _ORG_NUMBER.fullmatch(clean_text(text))
    if match is None:
        raise NormaliseError(f"expected an organisation number like '802518-5011', got {text!r}")
    if not _luhn_valid(match["head"] + match["tail"]):
        raise NormaliseError(
            f"expected an organisation number with a valid check digit, got {text!r}"
        )
    return f"{match['head']}-{match['tail']}"


def _luhn_valid(digits: str) -> bool:
    """Luhn: every second digit from the right doubled (its digits summed), the total ends in 0."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
