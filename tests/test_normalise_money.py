"""Money: Swedish amounts to int kronor, never rounded, never another currency."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import NormaliseError, format_money, parse_money

SETTINGS = settings(max_examples=200, deadline=None)
amounts = st.integers(min_value=0, max_value=10**12)


@pytest.mark.parametrize(
    ("text", "kronor"),
    [
        # As real pages write them (2007, old and new 2014–2020, ESF+ new layout).
        ("221\u00a0114 kr", 221_114),
        ("16 383 064 kr", 16_383_064),
        ("6 431 952", 6_431_952),
        ("1 247 574", 1_247_574),
        ("0", 0),
        ("68 870 004", 68_870_004),
        # Other forms the site and its mirrors use.
        ("6\u202f431\u202f952 kr", 6_431_952),
        ("6.431.952 kr", 6_431_952),
        ("1 247 574 SEK", 1_247_574),
        ("400 000 kronor", 400_000),
        ("983 000 kr.", 983_000),
        ("5 000:-", 5_000),
        ("500,-", 500),
        ("983000kr", 983_000),
        ("32,6 MSEK", 32_600_000),
        ("6 MSEK", 6_000_000),
        ("1,5 mnkr", 1_500_000),
        ("20 miljoner kronor", 20_000_000),
        ("1 234,00 kr", 1_234),
        ("  221 114 KR\n", 221_114),
    ],
)
def test_reads_swedish_amounts(text: str, kronor: int) -> None:
    assert parse_money(text) == kronor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1 234,50 kr", "fraction"),
        ("0,5 kr", "fraction"),
        ("32,6666666 MSEK", "fraction"),
        ("5 €", "currency"),
        ("€ 5 000", "currency"),
        ("5 000 EUR", "currency"),
        ("-5 000 kr", "negative"),
        ("−5 000 kr", "negative"),
        ("1 23 kr", "amount"),
        ("1 234.567 kr", "unit"),
        ("12 345 678 9", "amount"),
        ("5 000 dollar", "unit"),
        ("kr", "amount"),
        ("ca 5 000 kr", "amount"),
    ],
)
def test_rejects_what_is_not_whole_kronor(text: str, reason: str) -> None:
    with pytest.raises(NormaliseError, match=reason):
        parse_money(text)


@pytest.mark.parametrize(
    ("text", "kronor"),
    [
        ("16,383,064 kr", 16_383_064),
        ("16,383,064.00 SEK", 16_383_064),
        ("983,000.00 SEK", 983_000),
        ("SEK 4 826 582", 4_826_582),
        ("SEK 4,826,582", 4_826_582),
        ("SEK\u00a0983\u00a0000", 983_000),
    ],
)
def test_reads_english_amounts_when_they_cannot_be_swedish(text: str, kronor: int) -> None:
    """English pages group thousands by commas and write SEK first."""
    assert parse_money(text) == kronor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("983,000 kr", "ambiguous comma"),
        ("983,000", "ambiguous comma"),
        ("12,500 SEK", "ambiguous comma"),
        ("SEK 5 000 kr", "one currency"),
        ("1,234.5 kr", "fraction"),
    ],
)
def test_one_comma_group_is_ambiguous_not_a_pick(text: str, reason: str) -> None:
    """`983,000` is 983 kronor with a Swedish decimal comma or 983 000 written the English way:
    an error, never either guess."""
    with pytest.raises(NormaliseError, match=reason):
        parse_money(text)


def test_format_money_writes_the_sites_form() -> None:
    assert format_money(221_114) == "221 114 kr"
    assert format_money(0) == "0 kr"
    assert format_money(1_000_000) == "1 000 000 kr"


def test_format_money_rejects_negative_amounts() -> None:
    with pytest.raises(NormaliseError, match="non-negative"):
        format_money(-1)


@SETTINGS
@given(amounts)
def test_formatted_amount_parses_back(kronor: int) -> None:
    assert parse_money(format_money(kronor)) == kronor


@SETTINGS
@given(
    kronor=amounts,
    separator=st.sampled_from([" ", "\u00a0", "\u202f", "."]),
    unit=st.sampled_from(["", " kr", " kr.", " SEK", " kronor", "kr", ":-"]),
)
def test_any_thousands_separator_and_unit_parses_back(
    kronor: int, separator: str, unit: str
) -> None:
    text = f"{kronor:,}".replace(",", separator) + unit
    assert parse_money(text) == kronor


@SETTINGS
@given(millions=st.integers(min_value=0, max_value=10_000), tenths=st.integers(0, 9))
def test_msek_with_a_decimal_comma_is_exact(millions: int, tenths: int) -> None:
    assert parse_money(f"{millions},{tenths} MSEK") == millions * 1_000_000 + tenths * 100_000


@SETTINGS
@given(kronor=amounts, ore=st.integers(min_value=1, max_value=99))
def test_a_fraction_of_a_krona_is_never_rounded(kronor: int, ore: int) -> None:
    with pytest.raises(NormaliseError):
        parse_money(f"{format_money(kronor)[:-3]},{ore:02d} kr")
