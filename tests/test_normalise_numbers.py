"""Counts: whole non-negative numbers, thousands optionally grouped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import NormaliseError, parse_count


@pytest.mark.parametrize(
    ("text", "count"),
    [("1337", 1337), ("1 337", 1337), ("1\u00a0337", 1337), ("0", 0), (" 88 ", 88), ("584", 584)],
)
def test_reads_counts(text: str, count: int) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text", ["-1", "1,5", "12 34", "ca 100", "100 st", "", "٣"])
def test_rejects_what_is_not_a_whole_count(text: str) -> None:
    with pytest.raises(NormaliseError, match="whole non-negative number"):
        parse_count(text)


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=10**9),
    separator=st.sampled_from(["", " ", "\u00a0", "."]),
)
def test_formatted_count_parses_back(count: int, separator: str) -> None:
    text = f"{count:,}".replace(",", separator)
    assert parse_count(text) == count
