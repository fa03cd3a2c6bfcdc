"""Yes/no answers (`Ja`/`Nej`, `Yes`/`No`, any case) to bool."""

from __future__ import annotations

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text

_ANSWERS = {"ja": True, "yes": True, "nej": False, "no": False}


def parse_yes_no(text: str) -> bool:
    """True for Ja/Yes, False for Nej/No; anything else is an error, never a default."""
    answer = _ANSWERS.get(clean_text(text).casefold())
    if answer is None:
        raise NormaliseError(f"expected 'Ja' or 'Nej', got {text!r}")
    return answer
