"""Yes/no answers: Ja/Nej and Yes/No in any case; nothing else defaults to either."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import NormaliseError, parse_yes_no


@settings(max_examples=200, deadline=None)
@given(
    answer=st.sampled_from([("ja", True), ("yes", True), ("nej", False), ("no", False)]),
    cases=st.lists(st.booleans(), min_size=3, max_size=3),
    padding=st.sampled_from(["", " ", "\u00a0", "\n"]),
)
def test_answers_in_any_case_parse(
    answer: tuple[str, bool], cases: list[bool], padding: str
) -> None:
    word, value = answer
    written = "".join(c.upper() if up else c for c, up in zip(word, cases, strict=False))
    assert parse_yes_no(f"{padding}{written}{padding}") is value


@pytest.mark.parametrize("text", ["", "J", "N", "Ja.", "Nej tack", "true", "0", "1", "Kanske"])
def test_anything_else_is_an_error(text: str) -> None:
    with pytest.raises(NormaliseError, match="'Ja' or 'Nej'"):
        parse_yes_no(text)
