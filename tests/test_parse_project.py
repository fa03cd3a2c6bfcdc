"""Project and news records: typed values, stated-but-unparsable values as errors, no guessing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from parsers.page import parse_lines, parse_path
from parsers.records import FieldError, NewsRecord, ProjectRecord, Source

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
SAMPLE_PAGES = sorted(
    p for p in GOLDEN.rglob("*.txt") if p.parent.name not in ("listing",) and "mirror" not in p.name
)


def project(lines: list[str], url: str | None = None) -> ProjectRecord:
    record = parse_lines(lines, Source(url=url))
    assert isinstance(record, ProjectRecord)
    return record


def test_esf_plus_page_gives_typed_values() -> None:
    record = project(
        [
            "22-005-S01 - Samverkan - Kalmar län (SIA)",
            "Projektägare organisationsnummer:",
            "8025185011",
            "Startdatum:",
            "2023-02-01",
            "Slutdatum:",
            "2026-01-31",
            "Unionens medfinansieringsgrad:",
            "40%",
            "Region:",
            "Småland & Öarna",
            "NUTS-2 kod:",
            "SE21",
            "Sekundärtema - Motverka barnfattigdom:",
            "Nej",
            "Programområde:",
            "A",
            "Problemet som projektet vill lösa är utanförskapet.",
        ]
    )
    assert record.project_number == "22-005-S01"
    assert record.title == "Samverkan - Kalmar län (SIA)"
    assert record.owner_org_number == "802518-5011"
    assert (record.start_date, record.end_date) == (dt.date(2023, 2, 1), dt.date(2026, 1, 31))
    assert record.eu_cofinancing_rate_pct == 40
    assert (record.region, record.nuts2) == ("Småland och Öarna", "SE21")
    assert record.child_poverty_theme is False
    assert record.sections == {"Beskrivning": "Problemet som projektet vill lösa är utanförskapet."}
    assert record.errors == ()


def test_national_projects_have_no_nuts2_and_regions_give_their_own() -> None:
    national = ["A", "Projektägare:", "X", "Region:", "ESF Nationellt", "NUTS-2 kod:", "SE0"]
    assert (project(national).region, project(national).nuts2) == ("Nationellt", None)
    derived = project(["A", "Projektägare:", "X", "Region:", "Västsverige", "Programområde:", "2"])
    assert derived.nuts2 == "SE23"


def test_projektperiod_fills_dates_when_startdatum_and_slutdatum_are_empty() -> None:
    record = project(
        [
            "A",
            "Projektägare:",
            "X",
            "Projektperiod:",
            "2023-09-01 - 2026-08-31",
            "Startdatum:",
            "Slutdatum:",
            "Programområde:",
            "A",
        ]
    )
    assert (record.start_date, record.end_date) == (dt.date(2023, 9, 1), dt.date(2026, 8, 31))
    assert record.errors == ()


def test_a_stated_value_that_does_not_parse_is_null_with_an_error() -> None:
    record = project(["A", "Projektägare:", "X", "Beviljat ESF-stöd:", "12x kr", "Region:", "Mars"])
    assert record.granted_esf_sek is None
    assert record.region is None
    assert [(e.field, e.label, e.value) for e in record.errors] == [
        ("granted_esf_sek", "Beviljat ESF-stöd", "12x kr"),
        ("region", "Region", "Mars"),
    ]
    assert all(e.message for e in record.errors)


@pytest.mark.parametrize(
    "lines",
    [
        [
            "2019/00145 - A",
            "Projektnummer:",
            "2019/00145",
            "Diarienummer:",
            "2019/00146",
            "Projektägare:",
            "X",
        ],
        [
            "2019/00145 - A",
            "Projektnummer:",
            "2019/00146",
            "Projektägare:",
            "X",
            "Region:",
            "Stockholm",
        ],
    ],
)
def test_project_numbers_that_disagree_are_an_error_not_a_pick(lines: list[str]) -> None:
    record = project(lines)
    assert record.project_number is None
    assert [e.field for e in record.errors] == ["project_number"]


def test_dates_that_disagree_are_an_error() -> None:
    record = project(
        [
            "A",
            "Projektägare:",
            "X",
            "Projektperiod:",
            "2023-09-01 - 2026-08-31",
            "Startdatum:",
            "2023-10-01",
            "Programområde:",
            "A",
        ]
    )
    assert record.start_date is None
    assert record.end_date == dt.date(2026, 8, 31)
    assert record.errors == (
        FieldError(
            "start_date",
            "Projektperiod",
            "2023-10-01 / 2023-09-01",
            "the page states different values",
        ),
    )


def test_2007_sections_lists_and_truncation_marker() -> None:
    record = project(
        [
            "Visioncenter",
            "ProjektfasFörprojektering",
            "ProjektägareOmsorgs- och socialförvaltningen",
            "RegionÖstra Mellansverige",
            "In English",
            "Sammanfattning",
            "Projektet avser programområde 2.",
            "• Ökad möjlighet till arbete",
            "Problem / Möjligheter:",
            "All text fick ej plats se akten.",
            "Medfinansiärer",
            "• Arbetsmarknadsenheten",
            "Samarbetspartners",
            "• P P AB",
            "Kommun",
            "• Bjuv",
            "• Bromölla",
        ]
    )
    assert record.title == "Visioncenter"
    assert record.programme_period == "2007-2013"
    assert record.sections == {
        "Sammanfattning": "Projektet avser programområde 2.\n• Ökad möjlighet till arbete\n"
        "Problem / Möjligheter:"
    }
    assert record.cofinanciers == ("Arbetsmarknadsenheten",)
    assert record.partners == ("P P AB",)
    assert record.municipalities == ("Bjuv", "Bromölla")
    assert record.text_truncated is True
    assert record.unknown_labels == ()


def test_news_title_date_body_and_mentioned_project_numbers() -> None:
    record = parse_lines(
        [
            "Logotyp på utskrifter",
            "Kommande utlysningar",
            "2 oktober, 2020",
            "Projekten 2019/00145 och 22-005-S01 presenterades, liksom 2019/00145 igen.",
        ],
        Source(),
    )
    assert isinstance(record, NewsRecord)
    assert record.title == "Kommande utlysningar"
    assert record.published_date == dt.date(2020, 10, 2)
    assert (
        record.body == "Projekten 2019/00145 och 22-005-S01 presenterades, liksom 2019/00145 igen."
    )
    assert record.mentioned_project_numbers == ("2019/00145", "22-005-S01")
    month_only = parse_lines(["Nyhetsbrev", "Februari 2013", "Text."], Source())
    assert isinstance(month_only, NewsRecord)
    assert month_only.published_date is None


@pytest.mark.parametrize("page", SAMPLE_PAGES, ids=lambda p: p.relative_to(GOLDEN).as_posix())
def test_every_label_of_the_seeds_and_real_pages_is_in_the_vocabulary(page: Path) -> None:
    record = parse_path(page)
    assert record.unknown_labels == ()
    assert record.errors == ()


def test_an_invented_label_lands_in_unknown_labels() -> None:
    record = project(
        ["2019/00145 - A", "Projektägare:", "X", "Klimatmål:", "Netto noll", "Region:", "Stockholm"]
    )
    assert record.unknown_labels == ("Klimatmål",)
    assert record.region == "Stockholm"


def test_the_2007_title_is_the_last_line_before_the_fields_that_is_not_chrome() -> None:
    record = project(
        [
            "Logotyp på utskrifter",
            "Stäng",
            "3 december - Webbinarium om fattigdom i dagens Sverige",
            "Mer information och anmälan.",
            "Klara Livet",
            "Skriv ut",
            "ProjektfasGenomförande",
            "ProjektägareBlekinge kompetenscenter",
        ]
    )
    assert record.title == "Klara Livet"


@pytest.mark.parametrize(
    ("period", "expected"),
    [("2010-01-01 till 2012-12-31", "2007-2013"), ("2016-01-01 till 2018-12-31", None)],
)
def test_unnumbered_project_period_follows_its_start(period: str, expected: str | None) -> None:
    """A table layout (no glued labels, no URL) of a project that began before 2014 is 2007–2013;
    one that began later stays unknown rather than guessed."""
    record = project(
        [
            "Ungdomsprojektet",
            "Projektägare\tUmeå kommun",
            "Beviljat ESF-stöd\t3 400 000 kr",
            "Projektperiod\t" + period,
            "Region\tÖvre Norrland",
        ]
    )
    assert record.programme_period == expected


def test_a_section_line_starting_with_any_bullet_gets_the_one_bullet() -> None:
    lines = ["• a", "▪b", "◦  c", "·\u00a0d", "‣\te", "●f", "- g", "* h", "i • j"]
    fields = ["ProjektfasFörprojektering", "ProjektägareBjuvs kommun", "RegionSydsverige"]
    record = project(["Visioncenter", *fields, "Sammanfattning", *lines])
    assert record.sections == {"Sammanfattning": "• a\n• b\n• c\n• d\n• e\n• f\n- g\n* h\ni • j"}
