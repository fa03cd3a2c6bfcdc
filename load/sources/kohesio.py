"""Kohesio's country CSV (one row per operation and beneficiary) read into `kohesio_operations`
rows: Swedish rows only, every fund kept, one row per operation (its first beneficiary's).

The Q-number of `Operation_Unique_Identifier` (a linkedopendata URI or a bare `Q…`) is the
key. The Swedish project number is taken from `Operation_Local_Identifier`: ESF+ writes it as
`<CCI>_<number>`, 2014–2020 as the number itself; anything else leaves it null (such rows can
still be linked on org number, name and start date).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from load.sources.csvfile import CsvRow, Header, header_key
from load.sources.records import Cells, SourceRow, parse_any_date, parse_rate, whole_row_problem
from parsers.normalisers import NormaliseError, parse_org_number, parse_project_number

WHAT = "a Kohesio CSV (with an Operation_Unique_Identifier column)"
KEY = "external_id"
FIELDS = (
    ("external_id", "Operation_Unique_Identifier"),
    ("local_identifier", "Operation_Local_Identifier"),
    ("name", "Operation_Name_Programme_Language"),
    ("name_en", "Operation_Name_English"),
    ("country", "Country"),
    ("country_code", "CountryCode"),
    ("start_date", "Operation_Start_Date"),
    ("end_date", "Operation_End_Date"),
    ("cofinancing_rate_pct", "Cofinancing_Rate"),
    ("total_eligible_expenditure", "Total_Eligible_Expenditure_amount"),
    ("currency", "Total_Eligible_Expenditure_Currency"),
    ("eu_budget", "Project_EU_Budget"),
    ("beneficiary_id", "Beneficiary_Unique_Identifier"),
    ("beneficiary_name", "Beneficiary_Name"),
    ("beneficiary_org_number", "Beneficiary_Local_Identifier"),
    ("fund_code", "Fund_Code"),
    ("programme_name", "Programme_Name"),
    ("programme_period", "Programming_Period"),
    ("programme_code", "Programme_Code"),
)
_TEXT = (
    "local_identifier",
    "name",
    "name_en",
    "beneficiary_id",
    "beneficiary_name",
    "fund_code",
    "programme_name",
    "programme_code",
)
_Q_NUMBER = re.compile(r"(?:^|/)(Q[1-9][0-9]*)")
_PERIOD = re.compile(r"(20(?:14|21))\s*[-–/]\s*(20(?:20|27))")
_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CENT = Decimal("0.01")
SWEDEN = "SE"


def aliases() -> dict[str, str]:
    """Folded header name → field."""
    return {header_key(name): field for field, name in FIELDS}


def rows(header: Header, csv_rows: Iterator[CsvRow]) -> Iterator[SourceRow]:
    for row in csv_rows:
        yield read_row(row, header.labels)


def is_swedish(row: CsvRow) -> bool:
    code = row.values.get("country_code", "").strip().upper()
    country = row.values.get("country", "").strip().casefold()
    return code == SWEDEN or country in {"sweden", "sverige"}


def read_row(row: CsvRow, labels: Mapping[str, str]) -> SourceRow:
    if row.problem is not None:
        return whole_row_problem(row, row.problem)
    if not is_swedish(row):
        return SourceRow(row.line, None, None, skipped="not a Swedish operation")
    cells = Cells(row, labels)
    raw_id = cells.text(KEY) or ""
    match = _Q_NUMBER.search(raw_id)
    if match is None:
        cells.problem(KEY, raw_id, "expected a Kohesio Q-number like 'Q7361953' or its URI")
    raw_period = cells.text("programme_period") or ""
    period = _PERIOD.fullmatch(raw_period)
    if period is None:
        cells.problem(
            "programme_period", raw_period, "expected a programming period like '2014-2020'"
        )
    if match is None or period is None:
        return SourceRow(row.line, None, None, problems=cells.problems)
    local = cells.text("local_identifier")
    values: dict[str, Any] = {name: cells.text(name) for name in _TEXT}
    values |= {
        "external_id": match.group(1),
        "programme_period": f"{period.group(1)}-{period.group(2)}",
        "project_number": project_number(local),
        "country_code": SWEDEN,
        "start_date": cells.parsed("start_date", parse_any_date),
        "end_date": cells.parsed("end_date", parse_any_date),
        "cofinancing_rate_pct": cells.parsed("cofinancing_rate_pct", parse_rate),
        "total_eligible_expenditure": cells.parsed("total_eligible_expenditure", parse_amount),
        "currency": cells.parsed("currency", parse_currency),
        "eu_budget": cells.parsed("eu_budget", parse_amount),
        "beneficiary_org_number": cells.parsed("beneficiary_org_number", parse_org_number),
    }
    return SourceRow(
        row.line, values["external_id"], values["programme_period"], values, cells.problems
    )


def project_number(local_identifier: str | None) -> str | None:
    """The Swedish project number inside a local identifier (`2021SE05SFPR001_23-017-S01` or
    `2018/00076`), or None when it holds none."""
    if not local_identifier:
        return None
    candidate = local_identifier.rsplit("_", 1)[-1]
    try:
        number, _period = parse_project_number(candidate)
    except NormaliseError:
        return None
    return number


def parse_amount(text: str) -> Decimal:
    """An amount as Kohesio writes it (`1588350.07`), to the cent; float noise beyond the
    cent (`0.07000000001`) is rounded away, anything else is an error."""
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if not _AMOUNT.fullmatch(cleaned):
        raise NormaliseError(f"expected an amount like '1588350.07', got {text!r}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise NormaliseError(f"expected an amount like '1588350.07', got {text!r}") from None
    if value < 0:
        raise NormaliseError(f"expected an amount of 0 or more, got {text!r}")
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def parse_currency(text: str) -> str:
    code = text.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise NormaliseError(f"expected a currency code like 'EUR' or 'SEK', got {text!r}")
    return code
