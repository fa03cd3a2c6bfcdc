"""Variants of real pages: other label spellings, layouts and value shapes the site uses.

Each page is built from the layouts of the real pages (2007 glued labels, 2014–2020 `Label:` then
value, old layout without colons) with one thing changed, and parsed without a URL, so only the
vocabulary and the label reader can find the fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from parsers.labels import extract_fields
from parsers.page import parse_lines
from parsers.records import NewsRecord, ProjectRecord, Source


def project(lines: list[str]) -> ProjectRecord:
    record = parse_lines(lines, Source())
    assert isinstance(record, ProjectRecord)
    return record


def colon_page(label: str, value: str) -> list[str]:
    """A 2014–2020 page (`Label:` then the value on the next line) with one field added."""
    return [
        "2019/00431 - Målmedveten på hemmaplan",
        "Projektnummer:",
        "2019/00431",
        "Region:",
        "Västsverige",
        f"{label}:",
        value,
        "Kontaktperson:",
        "Johanna Fredriksson",
        "Syftet med projektet är att utveckla samverkan mellan myndigheter.",
    ]


def glued_page(label: str, value: str) -> list[str]:
    """A 2007–2013 page (labels glued to their values) with one field added."""
    return [
        "Logotyp på utskrifter",
        "Navigator",
        "ProgramområdeProgramområde 2 Ökat arbetskraftsutbud",
        "ProjektfasGenomförande",
        f"{label}{value}",
        "KontaktpersonKristina Wallner",
        "RegionMellersta Norrland",
        "In English",
        "Sammanfattning",
        "Verksamheten bygger på ett uppdrag från kommunstyrelsen.",
    ]


ALIASES = [
    ("Beviljat EU-stöd", "4 826 582 kr", "granted_esf_sek", 4_826_582),
    ("ESF-stöd", "4 826 582 kr", "granted_esf_sek", 4_826_582),
    ("Beviljat belopp", "4 826 582 kr", "granted_esf_sek", 4_826_582),
    ("Totalt beviljat", "4 826 582 kr", "granted_esf_sek", 4_826_582),
    ("Projektets totala budget", "12 940 533 kr", "total_budget_sek", 12_940_533),
    ("Total budget", "12 940 533 kr", "total_budget_sek", 12_940_533),
    ("Projektstart", "2008-05-01", "start_date", dt.date(2008, 5, 1)),
    ("Projektslut", "2011-04-30", "end_date", dt.date(2011, 4, 30)),
    ("Stödmottagare", "Krokoms kommun", "owner", "Krokoms kommun"),
    ("Org.nr", "212000-1124", "owner_org_number", "212000-1124"),
    ("Stödmottagare organisationsnummer", "2120001124", "owner_org_number", "212000-1124"),
    ("Antal planerade deltagare", "200", "planned_participants", 200),
    ("EU:s medfinansieringsgrad", "50%", "eu_cofinancing_rate_pct", 50),
    ("Epost", "kristina.wallner@krokom.se", "contact_email", "kristina.wallner@krokom.se"),
    ("Tel", "0640-168 64", "contact_phone", "0640-168 64"),
    ("Project phase", "Genomförande", "phase", "Genomförande"),
    ("Union co-financing rate", "50%", "eu_cofinancing_rate_pct", 50),
    ("Telephone number", "0640-168 64", "contact_phone", "0640-168 64"),
]


@pytest.mark.parametrize(("label", "value", "field", "expected"), ALIASES)
@pytest.mark.parametrize("layout", [colon_page, glued_page], ids=["colon", "glued"])
def test_other_spellings_of_a_label_fill_the_same_field(
    layout: Callable[[str, str], list[str]], label: str, value: str, field: str, expected: object
) -> None:
    record = project(layout(label, value))
    assert getattr(record, field) == expected
    assert record.unknown_labels == ()
    assert record.errors == ()


@pytest.mark.parametrize(
    ("label", "value", "start", "end"),
    [
        ("Projekttid", "2008-05-01 - 2011-04-30", dt.date(2008, 5, 1), dt.date(2011, 4, 30)),
        ("Löptid", "1 maj 2008 till 30 april 2011", dt.date(2008, 5, 1), dt.date(2011, 4, 30)),
    ],
)
def test_other_names_of_the_project_period(
    label: str, value: str, start: dt.date, end: dt.date
) -> None:
    record = project(colon_page(label, value))
    assert (record.start_date, record.end_date) == (start, end)


def test_a_long_unknown_label_with_a_colon_does_not_end_the_block() -> None:
    """An ESF+ theme label longer than five words is still a label between a value and the next
    label: reported as unknown, and the known labels after it are still read."""
    block = extract_fields(
        [
            "Projektägare:",
            "MALMÖ KOMMUN",
            "Sekundärtema - Motverka barnfattigdom och social utestängning bland unga:",
            "Ja",
            "Region:",
            "ESF Nationellt",
            "I Sverige växer en femtedel av alla barn upp i relativ barnfattigdom.",
        ]
    )
    assert [(p.field, p.value) for p in block.pairs] == [
        ("owner", "MALMÖ KOMMUN"),
        ("region", "ESF Nationellt"),
    ]
    assert block.unknown_labels == (
        "Sekundärtema - Motverka barnfattigdom och social utestängning bland unga",
    )


def test_a_county_is_not_an_esf_region() -> None:
    """`Län` names a county (`Skåne län`), not one of the ESF regions: it stays unknown."""
    record = project(colon_page("Län", "Västra Götalands län"))
    assert record.region == "Västsverige"
    assert record.unknown_labels == ("Län",)


@pytest.mark.parametrize(
    "date_line",
    [
        "Nyhet | 29 maj 2020",
        "Pressmeddelande · 29 maj 2020",
        "29 maj 2020 kl. 10:00",
        "Published: 29 May 2020",
    ],
)
def test_news_date_lines_with_a_page_type_or_a_time(date_line: str) -> None:
    """Without a URL the dated top lines make it news; the date is read whole."""
    record = parse_lines(
        [
            "Logotyp på utskrifter",
            "300 miljoner kronor ska hjälpa krisens varslade i Sverige",
            date_line,
            "Pandemin slår hårt mot svensk ekonomi.",
        ],
        Source(),
    )
    assert isinstance(record, NewsRecord)
    assert record.title == "300 miljoner kronor ska hjälpa krisens varslade i Sverige"
    assert record.published_date == dt.date(2020, 5, 29)


@pytest.mark.parametrize("title", ["Projektstart Norr", "Kontaktperson Ung", "Telefon för alla"])
def test_a_2007_title_that_starts_with_a_label_word_stays_the_title(title: str) -> None:
    """The 2007 markup glues every label to its value; a title with a space after a label word
    (`Projektstart Norr`) above such labels is the title, not the block's first field."""
    record = project(
        [
            "Logotyp på utskrifter",
            title,
            "ProgramområdeProgramområde 2 Ökat arbetskraftsutbud",
            "ProjektfasGenomförande",
            "ProjektägareKrokoms kommun",
            "Projektperiod2008-05-01 till 2011-04-30",
            "RegionMellersta Norrland",
            "In English",
        ]
    )
    assert record.title == title
    assert record.programme_area == "2"
    assert (record.start_date, record.end_date) == (dt.date(2008, 5, 1), dt.date(2011, 4, 30))
    assert record.errors == ()


@pytest.mark.parametrize("lines", [["Projektstart Norr"], ["Kontaktperson Ung", "Region Norr"]])
def test_fewer_than_three_spaced_label_lines_are_no_glued_block(lines: list[str]) -> None:
    """Labels with a space before their value start a glued block only as a run of three; a
    page's last line or two (a title, a heading) shaped like them are text."""
    assert extract_fields(lines).pairs == ()
