"""The canonical ESF regions with their NUTS-2 codes: the one table every other part reads.

Pages name a region several ways ("ESF Nationellt", "ESF-nationellt", "Småland & Öarna") and
2007 URLs spell it as an ASCII slug (`Smaland-och-Oarna`); all map to one canonical `Region`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text


@dataclass(frozen=True, slots=True)
class Region:
    """A canonical region; `nuts2` is None for Nationellt, which covers the whole country."""

    name: str
    nuts2: str | None


REGIONS: tuple[Region, ...] = (
    Region("Stockholm", "SE11"),
    Region("Östra Mellansverige", "SE12"),
    Region("Småland och Öarna", "SE21"),
    Region("Sydsverige", "SE22"),
    Region("Västsverige", "SE23"),
    Region("Norra Mellansverige", "SE31"),
    Region("Mellersta Norrland", "SE32"),
    Region("Övre Norrland", "SE33"),
    Region("Nationellt", None),
)

NATIONAL_NUTS2 = "SE0"
"""What pages write in the NUTS-2 field of a national project."""

_NUTS2_CODES = frozenset(region.nuts2 for region in REGIONS if region.nuts2 is not None)
_ESF_PREFIX = re.compile(r"^esf ")
_ASCII_FOLD = str.maketrans("åäö", "aao")


def _alias_key(text: str) -> str:
    """Case, hyphens, `&`/`och` and an `ESF` prefix do not tell regions apart."""
    key = clean_text(text.replace("-", " ").replace("&", " och ")).casefold()
    return _ESF_PREFIX.sub("", key)


def _slug_key(text: str) -> str:
    return _alias_key(text).translate(_ASCII_FOLD)


_BY_ALIAS = {_alias_key(region.name): region for region in REGIONS}
_BY_SLUG = {_slug_key(region.name): region for region in REGIONS}


def parse_region(text: str) -> Region:
    """The canonical region for any way a page writes one; an unknown name is an error."""
    region = _BY_ALIAS.get(_alias_key(text))
    if region is None:
        raise NormaliseError(
            f"expected one of the ESF regions ({', '.join(r.name for r in REGIONS)}), got {text!r}"
        )
    return region


def region_from_slug(slug: str) -> Region | None:
    """The region an ASCII URL segment such as `Smaland-och-Oarna` names, or None if none."""
    return _BY_SLUG.get(_slug_key(slug))


def parse_nuts2(text: str) -> str | None:
    """A NUTS-2 code of a Swedish region (`SE11`…`SE33`); `SE0`, the national marker, is None."""
    code = clean_text(text).upper()
    if code == NATIONAL_NUTS2:
        return None
    if code not in _NUTS2_CODES:
        raise NormaliseError(
            f"expected a NUTS-2 code ({', '.join(sorted(_NUTS2_CODES))} or SE0), got {text!r}"
        )
    return code
