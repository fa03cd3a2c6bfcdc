"""Normalisers: calls per second on values as real pages write them.

A project page states about 25 values; at a few microseconds each the normalisers stay a small
share of the 5 ms per-page parse target of DESIGN.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from parsers import normalisers as n
from parsers.urls import normalise_source_url

CASES: tuple[tuple[str, Callable[[str], object], tuple[str, ...]], ...] = (
    ("parse_money", n.parse_money, ("221\u00a0114 kr", "6 431 952", "32,6 MSEK", "0")),
    ("parse_count", n.parse_count, ("1337", "1 337", "584")),
    ("parse_date", n.parse_date, ("2023-02-01", "21 januari 2020", "2 oktober, 2020")),
    ("parse_published_date", n.parse_published_date, ("7 april 2015", "Februari 2013")),
    ("parse_period", n.parse_period, ("2008-09-01 till 2009-02-28", "2016-08-01-2019-03-31")),
    ("parse_percent", n.parse_percent, ("40%", "66,5 %")),
    ("parse_org_number", n.parse_org_number, ("8025185011", "212000-1124")),
    ("parse_yes_no", n.parse_yes_no, ("Nej", "Ja")),
    ("parse_region", n.parse_region, ("Småland & Öarna", "ESF Nationellt", "Stockholm")),
    ("parse_nuts2", n.parse_nuts2, ("SE21", "SE0")),
    ("parse_project_number", n.parse_project_number, ("2019/00145", "22-005-S01")),
    ("parse_programme_area", n.parse_programme_area, ("Programområde 2 Ökat arbetskraftsutbud",)),
    ("parse_specific_objective", n.parse_specific_objective, ("2.3", "A2A")),
    ("parse_postal_code", n.parse_postal_code, ("391 27",)),
    ("parse_email", n.parse_email, ("ewa.engdahl@coompanion.se",)),
    (
        "normalise_source_url",
        normalise_source_url,
        ("https://www.esf.se/sv/Resultat/Projektbanken/Behallare-for-projekt/Sydsverige/X/",),
    ),
)
ROUNDS = 20_000
SWEDISH_DATES = ("21 januari 2020", "2 oktober, 2020", "7 april 2015")


def _calls_per_second(
    parse: Callable[[str], object], values: tuple[str, ...], rounds: int = ROUNDS
) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for value in values:
            parse(value)
    return rounds * len(values) / (time.perf_counter() - started)


def _compare_with_dateparser() -> None:
    """The hand-written reader against dateparser, the fallback DESIGN.md allows for news."""
    import dateparser  # noqa: PLC0415 - slow to import, and only this comparison needs it

    def with_dateparser(text: str) -> object:
        return dateparser.parse(text, languages=["sv"])

    with_dateparser(SWEDISH_DATES[0])  # loads its language data outside the timing
    ours = _calls_per_second(n.parse_date, SWEDISH_DATES)
    theirs = _calls_per_second(with_dateparser, SWEDISH_DATES, rounds=300)
    print(
        f"Swedish dates: parse_date {ours:,.0f} calls/s, dateparser {theirs:,.0f} calls/s "
        f"({ours / theirs:,.0f}x faster)"
    )


def main() -> None:
    slowest = 0.0
    for name, parse, values in CASES:
        rate = _calls_per_second(parse, values)
        slowest = max(slowest, 1e6 / rate)
        print(f"{name:<26} {rate:>12,.0f} calls/s  {1e6 / rate:6.2f} µs/call", flush=True)
    page_ms = 25 * slowest / 1000
    print(
        f"25 values at the slowest rate: {page_ms:.3f} ms per page "
        f"(the whole-page parse target is 5 ms)"
    )
    _compare_with_dateparser()
