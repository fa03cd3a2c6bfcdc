"""Codes: project and call numbers, programme areas, specific objectives, postal codes, e-mail."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import (
    NormaliseError,
    clean_text,
    parse_call_number,
    parse_email,
    parse_postal_code,
    parse_programme_area,
    parse_project_number,
    parse_specific_objective,
)

SETTINGS = settings(max_examples=200, deadline=None)
AREA_CODES = "123456789ABCDEFGH"
area_names = st.sampled_from(
    [
        "Ökat arbetskraftsutbud",
        "Kompetensförsörjning",
        "Sysselsättningsinitiativet för unga",
        "Förstudier inför det nya programmet ESF+ Programområde 1 och 2",
        "Öka övergångarna till arbete",
    ]
)


@pytest.mark.parametrize(
    ("text", "number", "period"),
    [
        ("2019/00145", "2019/00145", "2014-2020"),
        ("2015/00439", "2015/00439", "2014-2020"),
        ("2022/00198", "2022/00198", "2014-2020"),
        ("22-005-S01", "22-005-S01", "2021-2027"),
        ("25-023-S02", "25-023-S02", "2021-2027"),
        (" 22-005-s01\u00a0", "22-005-S01", "2021-2027"),
    ],
)
def test_project_number_tells_the_period(text: str, number: str, period: str) -> None:
    assert parse_project_number(text) == (number, period)


@pytest.mark.parametrize(
    "text", ["2019-00145", "2019/0145", "19/00145", "22-005-X01", "22-05-S01", "22-005-S1", ""]
)
def test_other_project_numbers_are_errors(text: str) -> None:
    with pytest.raises(NormaliseError, match="project number like"):
        parse_project_number(text)


@SETTINGS
@given(year=st.integers(2000, 2099), serial=st.integers(0, 99_999))
def test_diary_numbers_parse_back(year: int, serial: int) -> None:
    number = f"{year}/{serial:05d}"
    assert parse_project_number(number) == (number, "2014-2020")
    assert parse_call_number(number) == number


@SETTINGS
@given(
    year=st.integers(0, 99),
    call=st.integers(0, 999),
    project=st.integers(0, 99),
    s=st.sampled_from("Ss"),
)
def test_esf_plus_numbers_parse_back(year: int, call: int, project: int, s: str) -> None:
    written = f"{year:02d}-{call:03d}-{s}{project:02d}"
    assert parse_project_number(written) == (written.upper(), "2021-2027")


@pytest.mark.parametrize("text", ["2015/0034", "22-005-S01", "Utlysning 2015/00348", ""])
def test_other_call_numbers_are_errors(text: str) -> None:
    with pytest.raises(NormaliseError, match="call number like"):
        parse_call_number(text)


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("Programområde 2 Ökat arbetskraftsutbud", ("2", "Ökat arbetskraftsutbud")),
        ("Programområde 1 Kompetensförsörjning", ("1", "Kompetensförsörjning")),
        ("2", ("2", None)),
        ("A", ("A", None)),
        ("E", ("E", None)),
        ("3.1 Sysselsättningsinitiativet för unga", ("3", "Sysselsättningsinitiativet för unga")),
        (
            "2.1 Förstudier inför det nya programmet ESF+ Programområde 1 och 2",
            ("2", "Förstudier inför det nya programmet ESF+ Programområde 1 och 2"),
        ),
        ("Programområde 1 – Kompetensförsörjning", ("1", "Kompetensförsörjning")),
        ("programområde a", ("A", None)),
    ],
)
def test_programme_area_code_and_name(text: str, area: tuple[str, str | None]) -> None:
    assert parse_programme_area(text) == area


@pytest.mark.parametrize("text", ["0", "10", "J", "Arbete", "Programområde", "2.", "AB", ""])
def test_other_programme_areas_are_errors(text: str) -> None:
    with pytest.raises(NormaliseError, match="programme area like"):
        parse_programme_area(text)


@SETTINGS
@given(
    code=st.sampled_from(AREA_CODES),
    prefix=st.sampled_from(["", "Programområde ", "PROGRAMOMRÅDE "]),
    objective=st.sampled_from(["", ".1", ".3"]),
    name=st.one_of(st.none(), area_names),
)
def test_programme_areas_parse_back(
    code: str, prefix: str, objective: str, name: str | None
) -> None:
    written = f"{prefix}{code}{objective}" + (f" {name}" if name else "")
    assert parse_programme_area(written) == (code, name)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2.3", "2.3"),
        ("3", "3"),
        ("7.1", "7.1"),
        ("A2A", "A2A"),
        ("A1A", "A1A"),
        ("A2B", "A2B"),
        ("C1", "C1"),
        ("D1", "D1"),
        ("E1", "E1"),
        ("1:1", "1.1"),
        (" a2a ", "A2A"),
    ],
)
def test_specific_objectives(text: str, code: str) -> None:
    assert parse_specific_objective(text) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2.3 Kvinnor och män som står särskilt långt från arbetsmarknaden", "2.3"),
        ("2.3 - Öka övergångarna till arbete", "2.3"),
        ("1:1 – Kompetensutveckling för anställda", "1.1"),
        ("3 Sysselsättningsinitiativet för unga", "3"),
        ("A2A Stärka förmågan att arbeta", "A2A"),
        ("c1\u00a0Barn i socialt utsatta områden", "C1"),
    ],
)
def test_a_specific_objective_may_carry_its_name(text: str, code: str) -> None:
    """Like a programme area, the objective's name may follow its code: only the code is kept."""
    assert parse_specific_objective(text) == code


@pytest.mark.parametrize("text", ["2.3.1 Namn", "Kvinnor och män 2.3", "2.3Kvinnor", "X1 Namn"])
def test_a_name_does_not_make_a_bad_code_good(text: str) -> None:
    with pytest.raises(NormaliseError, match="specific objective like"):
        parse_specific_objective(text)


@pytest.mark.parametrize("text", ["0", "2.", "2.3.1", "X1", "A", "A2AB", "mål 2.3", ""])
def test_other_specific_objectives_are_errors(text: str) -> None:
    with pytest.raises(NormaliseError, match="specific objective like"):
        parse_specific_objective(text)


@SETTINGS
@given(area=st.integers(1, 9), sub=st.integers(0, 99), colon=st.booleans())
def test_numbered_objectives_parse_back(area: int, sub: int, colon: bool) -> None:
    assert parse_specific_objective(f"{area}{':' if colon else '.'}{sub}") == f"{area}.{sub}"


@pytest.mark.parametrize(
    ("text", "code"),
    [("39127", "39127"), ("391 27", "39127"), ("391\u00a027", "39127"), ("SE-391 27", "39127")],
)
def test_postal_codes(text: str, code: str) -> None:
    assert parse_postal_code(text) == code


@pytest.mark.parametrize("text", ["3912", "391 277", "39 127", "KALMAR", ""])
def test_other_postal_codes_are_errors(text: str) -> None:
    with pytest.raises(NormaliseError, match="five-digit postal code"):
        parse_postal_code(text)


@SETTINGS
@given(code=st.integers(10_000, 99_999), space=st.booleans())
def test_postal_codes_parse_back(code: int, space: bool) -> None:
    digits = str(code)
    assert parse_postal_code(f"{digits[:3]} {digits[3:]}" if space else digits) == digits


@pytest.mark.parametrize(
    "text",
    ["ewa.engdahl@coompanion.se", "anders.jakobsson@landskronabois.com", "Jorgen.Delin@Skane.SE"],
)
def test_email_is_kept_as_written(text: str) -> None:
    assert parse_email(f" {text}\u00a0") == text


@pytest.mark.parametrize(
    "text", ["a@b", "a b@c.se", "a@@b.se", "@b.se", "a@.se", "ewa.engdahl[at]coompanion.se", ""]
)
def test_malformed_email_is_an_error(text: str) -> None:
    with pytest.raises(NormaliseError, match="e-mail address"):
        parse_email(text)


def test_clean_text_collapses_all_spaces_and_composes_characters() -> None:
    decomposed = "Sma\u030aland\u00a0&\u202f O\u0308arna\u200b\n"
    assert clean_text(decomposed) == "Småland & Öarna"


_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


def _clean_text_by_regex(text: str) -> str:
    """clean_text as it was written before its fast path: the reference."""
    visible = re.sub(f"[{_INVISIBLE}]", "", unicodedata.normalize("NFC", text))
    return re.sub(r"\s+", " ", visible).strip()


def test_clean_text_treats_every_character_as_the_regex_form_does() -> None:
    for start in range(0, 0x110000, 512):  # every code point, 512 to a text
        text = "".join(f"a{chr(code)}{chr(code)} " for code in range(start, start + 512))
        assert clean_text(text) == _clean_text_by_regex(text), hex(start)


@SETTINGS
@given(
    st.text(
        alphabet=st.sampled_from(
            [
                " ",
                "\t",
                "\n",
                "\x1f",
                "\u00a0",
                "\u2009",
                "\u3000",
                "a",
                "é",
                "e",
                "\u0301",
                *_INVISIBLE,
            ]
        ),
        max_size=12,
    )
)
def test_clean_text_is_the_regex_form(text: str) -> None:
    assert clean_text(text) == _clean_text_by_regex(text)
