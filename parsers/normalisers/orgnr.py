"""Swedish organisation numbers, normalised to `NNNNNN-NNNN` with the Luhn check digit verified."""

from __future__ import annotations

import re

from stdnum.exceptions import ValidationError
from stdnum.se import orgnr

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text

# Ten digits with an optional hyphen; the 12-digit form carries the century-like prefix "16".
_ORG_NUMBER = re.compile(r"(?:16)?(?P<head>[0-9]{6}) ?-? ?(?P<tail>[0-9]{4})")


def parse_org_number(text: str) -> str:
    """`8025185011`, `802518-5011` or `16802518-5011` → `802518-5011`, checksum validated."""
    match = _ORG_NUMBER.fullmatch(clean_text(text))
    if match is None:
        raise NormaliseError(f"expected an organisation number like '802518-5011', got {text!r}")
    digits = match["head"] + match["tail"]
    try:
        orgnr.validate(digits)
    except ValidationError:
        raise NormaliseError(
            f"expected an organisation number with a valid check digit, got {text!r}"
        ) from None
    return f"{match['head']}-{match['tail']}"
