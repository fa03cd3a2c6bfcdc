"""The project bank's own CSV export: one row per project, a bilingual `Svenska / English`
header (../shared/SOURCES.md), read into `esf_export_projects` rows.

Columns are found by either half of their header, so a reordered or partly translated header
still reads; the project number column is the one a file cannot lack.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from load.sources.csvfile import CsvRow, Header, header_key
from load.sources.records import Cells, SourceRow, parse_any_date, parse_rate, whole_row_problem
from load.sources.summary import html_to_text
from parsers.normalisers import NormaliseError, parse_money, parse_org_number, parse_project_number

WHAT = "a project bank export (CSV with a 'Diarienummer / Operation ID' column)"
KEY = "project_number"

# field → the header names (Swedish, English, older spellings) that carry it.
_NAMES: Mapping[str, tuple[str, ...]] = {
    "project_number": ("Diarienummer", "Operation ID", "Projektnummer"),
    "owner": ("Stödmottagare", "Beneficiary", "Projektägare"),
    "owner_org_number": (
        "Projektägare organisationsnummer",
        "Beneficiary ID",
        "Organisationsnummer",
    ),
    "owner_city": ("Projektägare ort", "Beneficiary city"),
    "country": ("Stödmottagarens land", "Beneficiary country"),
    "title": ("Namn på insatsen", "Operation Name", "Projektnamn"),
    "priority": ("Programområde", "Priority"),
    "specific_objective": ("Specifikt mål", "Specific objective concerned", "Specific objective"),
    "intervention_field": ("Interventionsområde", "Intervention field"),
    "total_budget_sek": ("Total projektbudget", "Total budget SEK", "Total budget"),
    "eu_cofinancing_rate_pct": ("Unionens medfinansieringsgrad", "Union co-financing rate"),
    "eu_contribution_sek": ("EU-stöd i SEK", "EU contribution SEK", "EU contribution"),
    "summary": ("Sammanfattning", "Summary"),
    "summary_en": ("Sammanfattning engelsk", "Summary in english"),
    "start_date": ("Startdatum", "Start date"),
    "end_date": ("Slutdatum", "End date"),
    "fund": ("EU-fond", "EU fund"),
    "programme_cci": ("Program CCI",),
}
_TEXT = ("owner", "owner_city", "country", "title", "priority", "specific_objective",
         "intervention_field", "fund", "programme_cci")  # fmt: skip


def aliases() -> dict[str, str]:
    """Folded header name → field."""
    return {header_key(name): field for field, names in _NAMES.items() for name in names}


def rows(header: Header, csv_rows: Iterator[CsvRow]) -> Iterator[SourceRow]:
    for row in csv_rows:
        yield read_row(row, header.labels)


def read_row(row: CsvRow, labels: Mapping[str, str]) -> SourceRow:
    if row.problem is not None:
        return whole_row_problem(row, row.problem)
    cells = Cells(row, labels)
    raw_number = cells.text("project_number")
    if raw_number is None:
        return whole_row_problem(row, f"no project number ({labels[KEY]!r} is empty)")
    try:
        number, period = parse_project_number(raw_number)
    except NormaliseError as exc:
        cells.problem(KEY, raw_number, str(exc))
        return SourceRow(row.line, None, None, problems=cells.problems)
    values: dict[str, Any] = {name: cells.text(name) for name in _TEXT}
    values |= {
        "project_number": number,
        "programme_period": period,
        "owner_org_number": cells.parsed("owner_org_number", parse_org_number),
        "total_budget_sek": cells.parsed("total_budget_sek", parse_money),
        "eu_contribution_sek": cells.parsed("eu_contribution_sek", parse_money),
        "eu_cofinancing_rate_pct": cells.parsed("eu_cofinancing_rate_pct", parse_rate),
        "start_date": cells.parsed("start_date", parse_any_date),
        "end_date": cells.parsed("end_date", parse_any_date),
        "summary": html_to_text(row.values.get("summary")),
        "summary_en": html_to_text(row.values.get("summary_en")),
    }
    return SourceRow(row.line, number, period, values, cells.problems)
