"""Page kind and programme period: from the URL and the content, never from a file name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from esfbank.fixture_site import DEFAULT_ROOT
from parsers.page import parse_bytes, parse_lines
from parsers.records import Source
from parsers.snapshot import read_snapshot

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
FAMILY_KIND = {"esf2007": "project", "esf2014": "project", "esfplus2021": "project"} | {
    kind: kind for kind in ("news", "call", "listing", "other")
}

NEW_LAYOUT = ["Projektnummer:", "2019/00145", "Projektägare:", "Coompanion", "Region:", "Stockholm"]
TEXT = "Projektet ska stärka samverkan mellan myndigheter och civilsamhälle i länet."


def kind(lines: list[str], url: str | None = None) -> str:
    return parse_lines(lines, Source(url=url)).kind


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.esf.se/nyheter/en-nyhet/", "news"),
        ("https://www.esf.se/news/a-story/", "news"),
        ("https://www.esf.se/pressmeddelanden/ett-pressmeddelande/", "news"),
        ("https://www.esf.se/sv/Min-region/Stockholm/Nyheter2/En-nyhet/", "news"),
        ("https://www.esf.se/Min-region/Stockholm/Utlysningar1/Utlysning/?sourceId=1", "call"),
        (
            "https://www.esf.se/sv/Resultat/Projektbanken/Behallare-for-projekt/Sydsverige/",
            "listing",
        ),
        ("https://www.esf.se/resultat/projektbanken/projekt/?page=3", "listing"),
        ("https://www.esf.se/projekt/arbetscoacher", "project"),
        ("https://www.esf.se/nyheter/", "listing"),
        ("http://127.0.0.1:8765/nyheter/en-nyhet/", "news"),  # a fixture copy of the site
        (
            "http://localhost:8765/sv/Resultat/Projektbanken/Behallare-for-projekt/Sydsverige/?page=2",
            "listing",
        ),
        ("https://www.esf.se/Min-region/Stockholm/Utlysningar1/?page=2", "listing"),
    ],
)
def test_an_esf_url_names_the_family(url: str, expected: str) -> None:
    assert kind(["Rubrik", TEXT], url) == expected


def test_without_a_url_the_content_decides() -> None:
    assert kind(["2019/00145 - Samverkansplattform", TEXT]) == "project"
    assert kind(["Titel", *NEW_LAYOUT, TEXT]) == "project"
    assert kind(["Välbesökt inspirationsträff", "21 januari 2020", TEXT]) == "news"
    assert kind(["Nyhetsbrev", "Februari 2013", TEXT]) == "news"
    call = ["Unga i mobilitet", "Utlysning", "2019/00347", "Utlyst belopp", "30 000 000 kr"]
    assert kind(call) == "call"
    assert kind(["Om oss", TEXT]) == "other"


def test_utlysning_on_a_project_page_is_its_call_number_not_a_call() -> None:
    lines = ["Värmlands framtid", "Utlysning", "2015/00348", "Projektägare", "Karlstads kommun"]
    record = parse_lines(lines, Source())
    assert record.kind == "project"
    assert getattr(record, "call_number", None) == "2015/00348"
    assert kind(["Förstudier", "Utlysning", "2020/00518", "Region", "Stockholm"]) == "call"


def test_listings_repeat_project_numbers_or_labels_or_paginate() -> None:
    numbers = ["Projektbanken", "2019/00145 - A", "2019/00146 - B", "22-005-S01 - C"]
    assert kind(numbers) == "listing"
    repeated = ["Sökresultat för unga"] + ["Projektägare: X", "Region: Stockholm"] * 3
    assert kind(repeated) == "listing"
    assert kind(["Projekt i Sydsverige", "Klara Livet", "Startelvan", "Föregående 1 2 Nästa"]) == (
        "listing"
    )


def test_a_mirror_on_another_site_is_a_project_an_unrelated_site_is_other() -> None:
    mirror = ["Visioncenter Projektägare: Omsorgsförvaltningen | Beviljat ESF-stöd: 221 114 kr"]
    assert kind(mirror, "https://arkiv.example.org/visioncenter/") == "project"
    municipal = [
        "Kompetensutveckling i äldreomsorgen",
        "Projektnamn",
        "Kompetensutveckling i äldreomsorgen",
        "Projektperiod",
        "September 2023–augusti 2026",
        "Kontaktperson",
        "Ewa Holsti",
    ]
    assert kind(municipal, "https://www.stad.example.se/projekt/aldreomsorgen/") == "other"
    article = ["Kommunen får stöd från socialfonden", "12 mars 2021", TEXT]
    assert kind(article, "https://www.stad.example.se/nyheter/esf/") == "other"
    assert kind(article) == "news"


@pytest.mark.parametrize(
    ("lines", "url", "period"),
    [
        (["2019/00145 - A", TEXT], None, "2014-2020"),
        (["22-005-S01 - A", TEXT], None, "2021-2027"),
        (["A", "ProjektfasGenomförande", "ProjektägareX", TEXT], None, "2007-2013"),
        (
            ["A", "Projektägare", "X", "Region", "Stockholm"],
            "https://www.esf.se/sv/Resultat/Projektbanken/Behallare-for-projekt/Stockholm/A/",
            "2007-2013",
        ),
        (
            ["A", "Programperiod:", "2021–2027", "Projektägare:", "X", "Programområde:", "A"],
            None,
            "2021-2027",
        ),
        (["A", "Projektägare:", "X", "Programområde:", "2"], None, None),
    ],
)
def test_programme_period_from_number_label_url_or_layout(
    lines: list[str], url: str | None, period: str | None
) -> None:
    record = parse_lines(lines, Source(url=url))
    assert record.kind == "project"
    assert getattr(record, "programme_period", None) == period


@pytest.mark.parametrize(
    "page", sorted(GOLDEN.rglob("*.txt")), ids=lambda p: p.relative_to(GOLDEN).as_posix()
)
def test_the_kind_does_not_depend_on_the_url(page: Path) -> None:
    snapshot = read_snapshot(page.read_text("utf-8"))
    with_url = parse_lines(snapshot.lines, Source(url=snapshot.url))
    assert with_url.kind == parse_lines(snapshot.lines, Source()).kind
    assert with_url.kind == FAMILY_KIND[page.parent.name]


def test_text_that_merely_looks_like_paging_or_dates_is_no_listing() -> None:
    lines = [
        "22-044-S07 - Kvinnors etablering",
        *["Diarienummer:", "22-044-S07", "Startdatum:", "2023-09-01", "Slutdatum:", "2026-08-31"],
        *["Projektägare:", "STOCKHOLMS KOMMUN", "Programområde:", "A"],
        "Nästa steg är att bjuda in arbetsgivare.",
        "1 september 2023",
        "2 oktober 2024",
        "2022/00198 följde samma modell.",
    ]
    assert kind(lines) == "project"


SITE = DEFAULT_ROOT
SITE_PAGES = [
    page
    for page in (json.loads((SITE / "MANIFEST.json").read_text("utf-8"))["pages"])
    if page["kind"] in FAMILY_KIND.values()
]


@pytest.mark.parametrize("page", SITE_PAGES, ids=lambda page: page["path"])
def test_every_page_of_the_fixture_site_has_its_kind_with_or_without_its_url(
    page: dict[str, str],
) -> None:
    data = (SITE / page["file"]).read_bytes()
    for url in (f"https://www.esf.se{page['path']}", None):
        record = parse_bytes(data, Source(url=url))
        assert record.kind == page["kind"], url
        assert record.errors == ()
