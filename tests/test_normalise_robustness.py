"""Every normaliser, fed arbitrary or nearly valid text, returns a value or raises NormaliseError.

Any other exception (IndexError, decimal.InvalidOperation, OverflowError, ...) would escape the
parser's per-field error handling and take a whole page down, so it is a bug.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import normalisers as n
from parsers.urls import normalise_source_url

PARSERS: dict[str, Callable[[str], object]] = {
    "parse_money": n.parse_money,
    "parse_count": n.parse_count,
    "parse_date": n.parse_date,
    "parse_published_date": n.parse_published_date,
    "parse_period": n.parse_period,
    "parse_percent": n.parse_percent,
    "parse_org_number": n.parse_org_number,
    "parse_yes_no": n.parse_yes_no,
    "parse_region": n.parse_region,
    "parse_nuts2": n.parse_nuts2,
    "parse_project_number": n.parse_project_number,
    "parse_call_number": n.parse_call_number,
    "parse_programme_area": n.parse_programme_area,
    "parse_specific_objective": n.parse_specific_objective,
    "parse_postal_code": n.parse_postal_code,
    "parse_email": n.parse_email,
    "normalise_source_url": normalise_source_url,
}

# Values that parse, one or more per normaliser: edits of these make the near misses.
VALID_EXAMPLES = (
    "221 114 kr",
    "6.431.952 kr",
    "32,6 MSEK",
    "1 234,00 kr",
    "1 337",
    "2008-09-01",
    "tisdag den 2 okt. 2020",
    "Februari 2013",
    "2016-08-01-2019-03-31",
    "1 september 2023 – 31 augusti 2026",
    "66,5 %",
    "16802518-5011",
    "Nej",
    "Småland & Öarna",
    "ESF-nationellt",
    "SE0",
    "22-005-S01",
    "2015/00348",
    "Programområde 2 Ökat arbetskraftsutbud",
    "3.1 Sysselsättningsinitiativet för unga",
    "1:1",
    "A2A",
    "391 27",
    "ewa.engdahl@coompanion.se",
    "https://www.esf.se/sv/Resultat/Projektbanken/?dnr=2019/00145",
)
# Characters that matter to some normaliser: separators, units, signs, digits, Swedish letters.
NEAR_ALPHABET = "0123456789 \u00a0\u202f-–—/.,:%@&?=+€$krSEKMsekåäöÅÄÖjanmtiloudSEF\n\t\u200b"


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A valid example with a few characters deleted, inserted or replaced."""
    text = draw(st.sampled_from(VALID_EXAMPLES))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(text)))
        char = draw(st.sampled_from(NEAR_ALPHABET))
        edit = draw(st.sampled_from(("delete", "insert", "replace")))
        if edit == "insert":
            text = text[:position] + char + text[position:]
        else:
            text = text[:position] + (char if edit == "replace" else "") + text[position + 1 :]
    return text


def _error_message(parse: Callable[[str], object], text: str) -> str | None:
    """None when the text parses; the NormaliseError's message when it does not."""
    try:
        parse(text)
    except n.NormaliseError as error:
        return str(error)
    return None


ROBUSTNESS = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize("name", sorted(PARSERS))
@ROBUSTNESS
@given(text=st.text())
def test_arbitrary_text_parses_or_raises_normalise_error(name: str, text: str) -> None:
    assert _error_message(PARSERS[name], text) != "", "an error must say what was expected"


@pytest.mark.parametrize("name", sorted(PARSERS))
@ROBUSTNESS
@given(text=st.one_of(near_misses(), st.text(alphabet=NEAR_ALPHABET, max_size=40)))
def test_near_misses_parse_or_raise_normalise_error(name: str, text: str) -> None:
    assert _error_message(PARSERS[name], text) != "", "an error must say what was expected"


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_empty_text_is_an_error_that_says_what_was_expected(name: str) -> None:
    with pytest.raises(n.NormaliseError, match="expected"):
        PARSERS[name]("  \u00a0 ")


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("text", ["9" * 5000, "1" + " 000" * 2000 + " kr", "-" * 5000, "ä" * 5000])
def test_huge_values_parse_or_raise_normalise_error(name: str, text: str) -> None:
    """Python refuses int() of over 4300 digits with a plain ValueError: none may leak out."""
    assert _error_message(PARSERS[name], text) != "", "an error must say what was expected"
