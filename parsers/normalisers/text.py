"""Whitespace and Unicode clean-up shared by every normaliser.

Pages mix ordinary spaces with no-break (U+00A0), narrow no-break (U+202F) and thin spaces
(U+2009), carry invisible zero-width characters and soft hyphens, and may arrive decomposed
(NFD); every normaliser reads the same cleaned form.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def clean_text(text: str) -> str:
    """NFC text, invisible characters dropped, each whitespace run (no-break too) one space.

    ASCII text is NFC and holds no invisible character as it is. `str.split()` splits at the
    characters regex `\\s` matches (str.isspace), so joining its pieces collapses the runs and
    strips the ends as `re.sub(r"\\s+", " ", text).strip()` does, at a third of the cost (a
    page cleans dozens of values)."""
    if not text.isascii():
        text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return " ".join(text.split())
