"""Identifiers and short codes: project and call numbers, programme areas, specific objectives,
postal codes and e-mail addresses.

Each has a small fixed shape; anything outside it is an error rather than a best guess, so a
new numbering scheme on the site shows up as parse errors instead of odd values.
"""

from __future__ import annotations

import re

from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.text import clean_text
from parsers.records import ProgrammePeriod

__all__ = [
    "clean_text",
    "parse_call_number",
    "parse_email",
    "parse_postal_code",
    "parse_programme_area",
    "parse_project_number",
    "parse_specific_objective",
]

# `2019/00145`: year of registration and a serial (the 2014–2020 case register).
_DIARY_NUMBER = re.compile(r"20[0-9]{2}/[0-9]{5}")
# `22-005-S01`: year, call and project within the call (ESF+ 2021–2027).
_ESF_PLUS_NUMBER = re.compile(r"[0-9]{2}-[0-9]{3}-S[0-9]{2}")

# `Programområde 2 Ökat arbetskraftsutbud`, `2`, `A`, `3.1 Sysselsättningsinitiativet för unga`:
# the area is the leading digit or letter; an objective suffix (`.1`) belongs to it.
_PROGRAMME_AREA = re.compile(
    r"(?:programområde )?(?P<code>[1-9A-H])(?:\.[0-9]{1,2})?(?:(?: ?[-–:] ?| )(?P<name>\S.*))?",
    re.IGNORECASE,
)
# `2.3`, `3`, `7.1` (2014–2020) and `A2A`, `A1A`, `C1` (ESF+); `1:1` is written for `1.1`. The
# objective's name may follow, as it does after a programme area (`2.3 Kvinnor och män som …`).
_SPECIFIC_OBJECTIVE = re.compile(
    r"(?P<code>[1-9](?:[.:][0-9]{1,2})?|[A-H][1-9][A-Z]?)(?:(?: ?[-–] ?| )(?P<name>\S.*))?",
    re.IGNORECASE,
)
_POSTAL_CODE = re.compile(r"(?:SE-? ?)?(?P<head>[0-9]{3}) ?(?P<tail>[0-9]{2})", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)*\.[a-z]{2,}", re.IGNORECASE)


def parse_project_number(text: str) -> tuple[str, ProgrammePeriod]:
    """The project number and the period its shape implies (`2019/00145` → 2014–2020)."""
    number = clean_text(text).upper()
    if _DIARY_NUMBER.fullmatch(number):
        return number, "2014-2020"
    if _ESF_PLUS_NUMBER.fullmatch(number):
        return number, "2021-2027"
    raise NormaliseError(
        f"expected a project number like '2019/00145' or '22-005-S01', got {text!r}"
    )


def parse_call_number(text: str) -> str:
    """A call for proposals' number, `2015/00348`."""
    number = clean_text(text)
    if _DIARY_NUMBER.fullmatch(number) is None:
        raise NormaliseError(f"expected a call number like '2015/00348', got {text!r}")
    return number


def parse_programme_area(text: str) -> tuple[str, str | None]:
    """The area code (a digit 1–9 or a letter A–H) and the name written after it, if any."""
    match = _PROGRAMME_AREA.fullmatch(clean_text(text))
    if match is None:
        raise NormaliseError(
            f"expected a programme area like '2', 'A' or 'Programområde 2 Ökat arbetskraftsutbud',"
            f" got {text!r}"
        )
    return match["code"].upper(), match["name"]


def parse_specific_objective(text: str) -> str:
    """A specific objective code, `2.3` or `A2A`, without the name written after it, if any;
    `1:1` is normalised to `1.1`."""
    match = _SPECIFIC_OBJECTIVE.fullmatch(clean_text(text))
    if match is None:
        raise NormaliseError(f"expected a specific objective like '2.3' or 'A2A', got {text!r}")
    return match["code"].upper().replace(":", ".")


def parse_postal_code(text: str) -> str:
    """A Swedish postal code as five digits without the space: `391 27` → `39127`."""
    match = _POSTAL_CODE.fullmatch(clean_text(text))
    if match is None:
        raise NormaliseError(f"expected a five-digit postal code like '391 27', got {text!r}")
    return match["head"] + match["tail"]


def parse_email(text: str) -> str:
    """An e-mail address as written, trimmed; only its shape is checked."""
    address = clean_text(text)
    if _EMAIL.fullmatch(address) is None:
        raise NormaliseError(f"expected an e-mail address like 'namn@example.se', got {text!r}")
    return address
