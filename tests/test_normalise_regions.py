"""Regions: one canonical table, every alias pages write, URL slugs, NUTS-2 codes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import (
    REGIONS,
    NormaliseError,
    Region,
    parse_nuts2,
    parse_region,
    region_from_slug,
)

SETTINGS = settings(max_examples=200, deadline=None)
BY_NAME = {region.name: region for region in REGIONS}

# DESIGN.md, "Canonical regions".
DESIGN_TABLE = {
    "Stockholm": "SE11",
    "Östra Mellansverige": "SE12",
    "Småland och Öarna": "SE21",
    "Sydsverige": "SE22",
    "Västsverige": "SE23",
    "Norra Mellansverige": "SE31",
    "Mellersta Norrland": "SE32",
    "Övre Norrland": "SE33",
    "Nationellt": None,
}

# Every way pages seen so far write a region, with the canonical name it means.
ALIASES = [
    *((name, name) for name in DESIGN_TABLE),
    ("ESF Nationellt", "Nationellt"),
    ("ESF-nationellt", "Nationellt"),
    ("Småland & Öarna", "Småland och Öarna"),
    ("Småland och Öarna", "Småland och Öarna"),
]

# ASCII segments of 2007 URLs (`/Behallare-for-projekt/<Region>/<Slug>/`, `/Min-region/<Region>/`).
SLUGS = [
    ("Stockholm", "Stockholm"),
    ("Ostra-Mellansverige", "Östra Mellansverige"),
    ("Smaland-och-Oarna", "Småland och Öarna"),
    ("Sydsverige", "Sydsverige"),
    ("Vastsverige", "Västsverige"),
    ("Norra-Mellansverige", "Norra Mellansverige"),
    ("Mellersta-Norrland", "Mellersta Norrland"),
    ("Ovre-Norrland", "Övre Norrland"),
    ("smaland-och-oarna", "Småland och Öarna"),
]


def test_the_table_is_the_design_table() -> None:
    assert {region.name: region.nuts2 for region in REGIONS} == DESIGN_TABLE
    assert len(REGIONS) == len(DESIGN_TABLE)


@pytest.mark.parametrize(("text", "name"), ALIASES)
def test_every_alias_gives_the_canonical_region(text: str, name: str) -> None:
    assert parse_region(text) == BY_NAME[name]


@SETTINGS
@given(
    alias=st.sampled_from(ALIASES),
    cases=st.lists(st.booleans(), min_size=25, max_size=25),
    padding=st.sampled_from(["", " ", "  ", "\u00a0", "\n"]),
)
def test_aliases_in_any_case_and_spacing_parse(
    alias: tuple[str, str], cases: list[bool], padding: str
) -> None:
    text, name = alias
    written = "".join(c.upper() if up else c.lower() for c, up in zip(text, cases, strict=False))
    spaced = padding + written.replace(" ", padding or " ") + padding
    assert parse_region(spaced).name == name


@pytest.mark.parametrize(
    "text", ["Gotland", "Skåne", "Smaland och Oarna", "Norrland", "ESF", "SE11", "Region Stockholm"]
)
def test_an_unknown_region_is_an_error(text: str) -> None:
    with pytest.raises(NormaliseError, match="ESF regions"):
        parse_region(text)


@pytest.mark.parametrize(("slug", "name"), SLUGS)
def test_url_slugs_give_the_region(slug: str, name: str) -> None:
    assert region_from_slug(slug) == BY_NAME[name]


@pytest.mark.parametrize("slug", ["Behallare-for-projekt", "Nyheter2", "Resultat", ""])
def test_a_segment_that_names_no_region_gives_none(slug: str) -> None:
    assert region_from_slug(slug) is None


@pytest.mark.parametrize("region", REGIONS, ids=lambda region: region.name)
def test_the_nuts2_code_of_every_region_parses_back(region: Region) -> None:
    written = region.nuts2 or "SE0"
    assert parse_nuts2(written) == region.nuts2
    assert parse_nuts2(f" {written.lower()} ") == region.nuts2


def test_se0_marks_a_national_project() -> None:
    assert parse_nuts2("SE0") is None
    assert parse_nuts2("se0") is None


@pytest.mark.parametrize("text", ["SE13", "SE1", "SE00", "SE", "DK01", "SE 11", "11", "Stockholm"])
def test_other_nuts2_codes_are_errors(text: str) -> None:
    with pytest.raises(NormaliseError, match="NUTS-2 code"):
        parse_nuts2(text)
