"""The database's rules for a record, checked before writing so one bad record is quarantined
(with its source and a message) while the rest of its batch loads."""

from __future__ import annotations

import functools
import operator
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from parsers.normalisers import NormaliseError
from parsers.normalisers.orgnr import parse_org_number
from parsers.records import ProjectRecord

PERIODS = frozenset({"2007-2013", "2014-2020", "2021-2027"})
_AMOUNTS = ("total_budget_sek", "granted_esf_sek", "total_costs_sek", "planned_participants")
_AMOUNT_VALUES = operator.attrgetter(*_AMOUNTS)


@dataclass(frozen=True, slots=True)
class Violation:
    """A problem to quarantine: the field (and the page's label for it), its value, a message."""

    field: str | None
    value: str | None
    message: str
    label: str | None = None


def project_violations(
    record: ProjectRecord, key: str | None, regions: Mapping[str, str | None]
) -> list[Violation]:
    """Every rule the record breaks (empty when it may be stored). `regions`: name → NUTS-2."""
    found: list[Violation] = []
    if record.programme_period not in PERIODS:
        found.append(
            Violation("programme_period", record.programme_period, "missing key: no valid period")
        )
    elif key is None:
        found.append(Violation("project_number", None, "missing key: no number and no URL"))
    amounts = _AMOUNT_VALUES(record)
    for amount in amounts:  # named only when one is negative: a zip per record costs more
        if amount is not None and amount < 0:
            found += _negative(amounts)
            break
    rate = record.eu_cofinancing_rate_pct
    if rate is not None and not 0 <= rate <= 100:
        found.append(Violation("eu_cofinancing_rate_pct", str(rate), "not a percentage"))
    if record.start_date and record.end_date and record.end_date < record.start_date:
        found.append(
            Violation(
                "end_date",
                record.end_date.isoformat(),
                f"end date before start date {record.start_date.isoformat()}",
            )
        )
    if record.owner_org_number is not None and not _is_org_number(record.owner_org_number):
        found.append(Violation("owner_org_number", record.owner_org_number, "bad org number"))
    found.extend(_region_violations(record, regions))
    return found


def _negative(amounts: tuple[int | None, ...]) -> list[Violation]:
    """The negative ones among the values of _AMOUNTS."""
    return [
        Violation(name, str(amount), "negative amount")
        for name, amount in zip(_AMOUNTS, amounts, strict=True)
        if amount is not None and amount < 0
    ]


def missing_url(kind: str) -> Violation:
    return Violation("source_url", None, f"missing key: a {kind} record needs its URL")


@functools.lru_cache(maxsize=4096)  # owners recur: each number is checked once
def _is_org_number(value: str) -> bool:
    try:
        return parse_org_number(value) == value
    except NormaliseError:
        return False


def _region_violations(
    record: ProjectRecord, regions: Mapping[str, str | None]
) -> Collection[Violation]:
    if record.region is None:
        return ()
    if record.region not in regions:
        return (Violation("region", record.region, "unknown region"),)
    expected = regions[record.region]
    if record.nuts2 is not None and expected is not None and record.nuts2 != expected:
        return (Violation("nuts2", record.nuts2, f"region {record.region} is {expected}"),)
    return ()
