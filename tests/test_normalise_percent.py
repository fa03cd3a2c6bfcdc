"""Percentages: 0..100 with their sign, int when whole so JSON keeps `40`, not `40.0`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import NormaliseError, parse_percent

SETTINGS = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("40%", 40),
        ("40 %", 40),
        ("100%", 100),
        ("0%", 0),
        ("67%", 67),
        ("66,5 %", 66.5),
        ("66.5%", 66.5),
        ("66,50 %", 66.5),
        ("40,0 %", 40),
        ("40\u00a0%", 40),
        ("25 procent", 25),
    ],
)
def test_reads_percentages(text: str, value: float) -> None:
    parsed = parse_percent(text)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("101 %", "between 0 and 100"),
        ("100,5%", "between 0 and 100"),
        ("40", "percentage like"),
        ("-5 %", "percentage like"),
        ("40 %%", "percentage like"),
        ("fyrtio %", "percentage like"),
    ],
)
def test_rejects_what_is_not_a_percentage(text: str, reason: str) -> None:
    with pytest.raises(NormaliseError, match=reason):
        parse_percent(text)


@SETTINGS
@given(value=st.integers(min_value=0, max_value=100), space=st.sampled_from(["", " "]))
def test_whole_percentages_parse_back_as_int(value: int, space: str) -> None:
    parsed = parse_percent(f"{value}{space}%")
    assert parsed == value
    assert isinstance(parsed, int)


@SETTINGS
@given(tenths=st.integers(min_value=0, max_value=1000).filter(lambda t: t % 10))
def test_fractional_percentages_parse_back_as_float(tenths: int) -> None:
    assert parse_percent(f"{tenths // 10},{tenths % 10} %") == tenths / 10
