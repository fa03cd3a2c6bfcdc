"""Organisation numbers: `NNNNNN-NNNN`, Luhn check digit verified."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import NormaliseError, parse_org_number

SETTINGS = settings(max_examples=200, deadline=None)


def luhn_check_digit(nine_digits: str) -> str:
    """Computed here independently of the parser's own Luhn sum, so the test checks it."""
    total = 0
    for position, char in enumerate(reversed(nine_digits)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str((10 - total % 10) % 10)


org_numbers = st.text(alphabet="0123456789", min_size=9, max_size=9).map(
    lambda nine: nine + luhn_check_digit(nine)
)


# Every organisation number on the real pages and seeds of the project bank.
@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("8025185011", "802518-5011"),
        ("2120001124", "212000-1124"),
        ("2120000142", "212000-0142"),
        ("2021004920", "202100-4920"),
        ("2321000214", "232100-0214"),
        ("2120001850", "212000-1850"),
        ("802518-5011", "802518-5011"),
        ("16802518-5011", "802518-5011"),
        ("168025185011", "802518-5011"),
        (" 802518 - 5011 ", "802518-5011"),
    ],
)
def test_reads_real_organisation_numbers(text: str, normalised: str) -> None:
    assert parse_org_number(text) == normalised


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("8025185012", "check digit"),
        ("802518-5012", "check digit"),
        ("802518501", "organisation number like"),
        ("80251850111", "organisation number like"),
        ("198025185011", "organisation number like"),
        ("SE802518501101", "organisation number like"),
    ],
)
def test_rejects_malformed_or_miscounted_numbers(text: str, reason: str) -> None:
    with pytest.raises(NormaliseError, match=reason):
        parse_org_number(text)


@SETTINGS
@given(number=org_numbers, form=st.sampled_from(["plain", "hyphen", "prefixed"]))
def test_valid_numbers_parse_back_in_every_form(number: str, form: str) -> None:
    expected = f"{number[:6]}-{number[6:]}"
    written = {"plain": number, "hyphen": expected, "prefixed": "16" + expected}[form]
    assert parse_org_number(written) == expected


@SETTINGS
@given(number=org_numbers, wrong=st.integers(min_value=1, max_value=9))
def test_a_wrong_check_digit_is_an_error(number: str, wrong: int) -> None:
    broken = number[:9] + str((int(number[9]) + wrong) % 10)
    with pytest.raises(NormaliseError, match="check digit"):
        parse_org_number(broken)
