"""The field registry: one declarative entry per field a project page states.

Each entry says what the field is (name, Python and SQL type through its `Kind`, meaning,
example), where pages state it (label aliases, Swedish and English), how its value is read (the
normaliser), and how the rest of esfbank treats it (personal data, in `v_projects`, evidence of
an ESF page, a fill-rate gate). Everything else is derived from it:

- the fields of `ProjectRecord` (parsers/records.py, the block `python -m parsers.fields` writes),
- the label vocabulary (parsers/vocabulary.py) and the project parser's normalisers,
- the typed columns of `projects` (load/schema.py maps the backend-neutral SQL types),
- the columns of `v_projects` (load/views.py), the data dictionary (load/dictionary.py),
- the personal-data list that `esfbank export --no-personal-data` leaves out, and the fields
  whose fill rate `esfbank report` shows.

Adding a field: CONTRIBUTING.md has the recipe (one entry here, one generated migration,
regenerated goldens and docs). The record's structure around these fields (its lists stored as
child tables, `sections`, `text_truncated`, `unknown_labels`, `errors`) is fixed in records.py.

Aliases are grouped by the language of the page, not by layout: labels.py reads every layout
(glued 2007 lines, label-then-value, `Label: value`, table cells) with one vocabulary, so an
alias is a word the site uses, whatever layout it shows it in.

Fields left out of `v_projects` on purpose (`in_view=False`), so the flat view stays one row
a researcher can read: `country` is `Sverige` on every page that states it (the programme is
Sweden's), and `programme_cci` is one code per programme period (`2021SE05SFPR` for ESF+), so
both repeat `programme_period`'s information. Both stay in `projects` and the exports.
`intervention_type`, `strategic_importance` and `child_poverty_theme` carry information about
the project itself and are in the view (migration 0009 added them; before it they were missing
from the view by oversight, not by decision).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from parsers.normalisers import (
    clean_text,
    parse_call_number,
    parse_count,
    parse_email,
    parse_money,
    parse_org_number,
    parse_percent,
    parse_postal_code,
    parse_specific_objective,
    parse_yes_no,
)


@dataclass(frozen=True, slots=True)
class Kind:
    """A field's type: its Python annotation in the record (without `| None`) and its SQL type
    in a backend-neutral form that load/schema.py maps to SQLAlchemy (`varchar` has a length)."""

    python: str
    sql: str  # text, varchar, bigint, integer, float, boolean, date
    length: int | None = None
    non_negative: bool = False  # a CHECK (column >= 0) in the table


TEXT = Kind("str", "text")
MONEY = Kind("int", "bigint", non_negative=True)  # whole kronor
COUNT = Kind("int", "integer")
PERCENT = Kind("int | float", "float")
DATE = Kind("dt.date", "date")
YES_NO = Kind("bool", "boolean")
PERIOD = Kind("ProgrammePeriod", "varchar", 9)


def code(length: int) -> Kind:
    """A short code or name stored as VARCHAR(length)."""
    return Kind("str", "varchar", length)


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One field of the record contract (DESIGN.md), and one column of `projects`.

    `parse` is the normaliser of the stated value; None when the project parser derives the
    value itself (parsers/project.py: the title from the heading, the dates from Projektperiod,
    the region and NUTS-2 code together, ...). `source` is the dictionary's "label on esf.se"
    column (the aliases, or how the value is found); `required` fields are NOT NULL in the table.
    """

    name: str
    kind: Kind
    description: str
    source: str
    example: str
    labels: tuple[str, ...] = ()
    english: tuple[str, ...] = ()
    parse: Callable[[str], object] | None = None
    personal: bool = False  # names a person: `export --no-personal-data` leaves it out
    in_view: bool = True  # a column of v_projects
    esf_specific: bool = False  # only ESF project pages carry it: evidence of a project page
    min_fill_rate: float | None = None  # the default gate (load/quality_gates.toml), if any
    required: bool = False
    references: str | None = None  # "table.column" the projects column refers to (indexed)


FIELDS: tuple[Field, ...] = (
    Field(
        name="programme_period",
        kind=PERIOD,
        description="Programme period the project belongs to",
        source="Programperiod, else the URL and the format of the number (2019/00145 or "
        "22-005-S01)",
        example="2014-2020",
        labels=("Programperiod",),
        english=("Programme period",),
        min_fill_rate=1.0,
        required=True,
    ),
    Field(
        name="project_number",
        kind=code(32),
        description="The ESF Council's project number; null on 2007–2013 pages, which have none",
        source="Projektnummer, Diarienummer",
        example="2019/00145",
        labels=(
            "Projektnummer",
            "Diarienummer",
            "Projektnr",
            "Projektnr.",
            "Diarienr",
            "Diarienr.",
            "Dnr",
            "Dnr.",
            "Ärendenummer",
        ),
        english=("Project number",),
        esf_specific=True,
    ),
    Field(
        name="title",
        kind=TEXT,
        description="Project name",
        source="Namn, Name, else the heading without its number",
        example="Samverkansplattform",
        labels=("Namn", "Name", "Projektnamn", "Projektets namn", "Projekttitel"),
        english=("Project name",),
        min_fill_rate=0.95,
    ),
    Field(
        name="owner",
        kind=TEXT,
        description="Organisation that owns the project, as written on the page",
        source="Projektägare",
        example="Coompanion Kalmar län, Högsby",
        labels=(
            "Projektägare",
            "Stödmottagare",  # the ESF+ word for the project owner (`Stödmottagare ort`, ...)
            "Stödmottagarens namn",
            "Projektägarens namn",
            "Projektägande organisation",
        ),
        english=("Project owner",),
        parse=clean_text,
        esf_specific=True,
        min_fill_rate=0.8,
    ),
    Field(
        name="owner_org_number",
        kind=code(11),
        description="Swedish organisation number of the owner, NNNNNN-NNNN, checksum validated",
        source="Projektägare organisationsnummer, Projektägare org.nr.",
        example="802518-5011",
        labels=(
            "Projektägare organisationsnummer",
            "Projektägare org.nr.",
            "Projektägare org.nr",
            "Projektägarens organisationsnummer",
            "Organisationsnummer",
            "Organisationsnr",
            "Org.nr",
            "Org.nr.",
            "Org. nr",
            "Org nr",
            "Orgnr",
            "Projektägarens org.nr",
            "Projektägarens org.nr.",
            "Stödmottagare organisationsnummer",
            "Stödmottagarens organisationsnummer",
            "Stödmottagare org.nr.",
            "Stödmottagare org.nr",
        ),
        english=(
            "Project owner organisation number",
            "Organisation number",
            "Organization number",
        ),
        parse=parse_org_number,
        esf_specific=True,
        references="organisations.org_number",
    ),
    Field(
        name="owner_postal_code",
        kind=code(16),
        description="Owner's postal code",
        source="Stödmottagare postnr",
        example="39127",
        labels=(
            "Stödmottagare postnr",
            "Stödmottagare postnummer",
            "Stödmottagarens postnr",
            "Stödmottagarens postnummer",
        ),
        parse=parse_postal_code,
        esf_specific=True,
    ),
    Field(
        name="owner_city",
        kind=TEXT,
        description="Owner's postal town",
        source="Stödmottagare ort",
        example="KALMAR",
        labels=("Stödmottagare ort", "Stödmottagarens ort"),
        parse=clean_text,
    ),
    Field(
        name="region",
        kind=code(64),
        description="ESF region, canonical name (Nationellt for national projects)",
        source="Region",
        example="Småland och Öarna",
        labels=("Region", "ESF-region"),
        references="regions.name",
    ),
    Field(
        name="nuts2",
        kind=code(4),
        description="NUTS-2 code of the region; null for national projects",
        source="NUTS-2 kod, else derived from Region",
        example="SE21",
        labels=("NUTS-2 kod", "NUTS-2-kod", "NUTS2 kod"),
        english=("NUTS-2 code",),
        esf_specific=True,
    ),
    Field(
        name="programme_area",
        kind=code(8),
        description="Programme area code",
        source="Programområde",
        example="2",
        labels=("Programområde",),
        english=("Programme area",),
        esf_specific=True,
    ),
    Field(
        name="programme_area_name",
        kind=TEXT,
        description="Programme area name, where the page shows it",
        source="Programområde",
        example="Ökat arbetskraftsutbud",
    ),
    Field(
        name="specific_objective",
        kind=code(16),
        description="Specific objective code",
        source="Specifikt mål",
        example="2.3",
        labels=("Specifikt mål",),
        english=("Specific objective",),
        parse=parse_specific_objective,
        esf_specific=True,
    ),
    Field(
        name="phase",
        kind=TEXT,
        description="Project phase",
        source="Projektfas",
        example="Genomförande",
        labels=("Projektfas",),
        english=("Project phase",),
        parse=clean_text,
        esf_specific=True,
    ),
    Field(
        name="call_number",
        kind=code(32),
        description="Number of the call for proposals the project came from",
        source="Utlysning",
        example="2015/00348",
        labels=("Utlysning", "Utlysningsnummer"),
        parse=parse_call_number,
        esf_specific=True,
    ),
    Field(
        name="start_date",
        kind=DATE,
        description="First day of the project",
        source="Projektperiod, Startdatum",
        example="2019-09-02",
        labels=("Startdatum", "Projektstart", "Projektets startdatum"),
        english=("Start date",),
        min_fill_rate=0.8,
    ),
    Field(
        name="end_date",
        kind=DATE,
        description="Last day of the project",
        source="Projektperiod, Slutdatum",
        example="2023-02-28",
        labels=("Slutdatum", "Projektslut", "Projektets slutdatum"),
        english=("End date",),
        min_fill_rate=0.8,
    ),
    Field(
        name="total_budget_sek",
        kind=MONEY,
        description="Total project budget, whole kronor",
        source="Total projektbudget",
        example="6431952",
        labels=(
            "Total projektbudget",
            "Projektbudget",
            "Projektets totala budget",
            "Projektets budget",
            "Total budget",
            "Totalbudget",
        ),
        english=("Total project budget",),
        parse=parse_money,
        esf_specific=True,
    ),
    Field(
        name="granted_esf_sek",
        kind=MONEY,
        description="ESF grant, whole kronor",
        source="Beviljat ESF-stöd",
        example="6431952",
        labels=(
            "Beviljat ESF-stöd",
            "Beviljat stöd",
            "Beviljat ESF+-stöd",
            "Beviljat ESF+ stöd",
            "Beviljat ESF stöd",
            "Beviljat EU-stöd",
            "Beviljat socialfondsstöd",
            "Beviljat belopp",
            "Beviljade medel",
            "ESF-stöd",
            "ESF+-stöd",
            "Totalt beviljat",
            "Totalt beviljat stöd",
            "Totalt beviljat ESF-stöd",
        ),
        english=("Granted ESF support", "Granted ESF funding", "ESF support"),
        parse=parse_money,
        esf_specific=True,
    ),
    Field(
        name="total_costs_sek",
        kind=MONEY,
        description="Total costs reported, whole kronor",
        source="Total Kostnader",
        example="0",
        labels=("Total Kostnader", "Totala kostnader"),
        parse=parse_money,
        esf_specific=True,
    ),
    Field(
        name="eu_cofinancing_rate_pct",
        kind=PERCENT,
        description="EU co-financing rate in percent",
        source="Unionens medfinansieringsgrad",
        example="40",
        labels=("Unionens medfinansieringsgrad", "EU:s medfinansieringsgrad"),
        english=("Union co-financing rate", "EU co-financing rate"),
        parse=parse_percent,
        esf_specific=True,
    ),
    Field(
        name="planned_participants",
        kind=COUNT,
        description="Planned number of participants",
        source="Planerat antal deltagare, Antal deltagare",
        example="88",
        labels=("Planerat antal deltagare", "Antal deltagare", "Antal planerade deltagare"),
        english=("Planned number of participants", "Number of participants"),
        parse=parse_count,
        esf_specific=True,
    ),
    Field(
        name="contact_name",
        kind=TEXT,
        description="Contact person",
        source="Kontaktperson",
        example="Anna Andersson",
        labels=("Kontaktperson",),
        english=("Contact person",),
        parse=clean_text,
        personal=True,
    ),
    Field(
        name="contact_email",
        kind=TEXT,
        description="Contact e-mail address",
        source="E-post",
        example="namn@example.se",
        labels=("E-post", "E-postadress", "Epost"),
        english=("E-mail", "Email", "E-mail address"),
        parse=parse_email,
        personal=True,
    ),
    Field(
        name="contact_phone",
        kind=TEXT,
        description="Contact telephone number",
        source="Telefonnummer",
        example="0480-123 45",
        labels=("Telefonnummer", "Telefon", "Telefonnr", "Telefonnr.", "Tel", "Tel."),
        english=("Telephone", "Telephone number", "Phone", "Phone number"),
        parse=clean_text,
        personal=True,
    ),
    Field(
        name="fund",
        kind=TEXT,
        description="EU fund",
        source="Berörd fond, Fond",
        example="ESF+",
        labels=("Berörd fond", "Fond"),
        english=("Fund",),
        parse=clean_text,
    ),
    Field(
        name="country",
        kind=TEXT,
        description="Country concerned",
        source="Land som berörs",
        example="Sverige",
        labels=("Stödmottagarens land", "Land som berörs"),
        english=("Country concerned",),
        parse=clean_text,
        in_view=False,  # always Sverige (module docstring)
    ),
    Field(
        name="programme_cci",
        kind=TEXT,
        description="CCI number of the programme",
        source="Program CCI",
        example="2021SE05SFPR",
        labels=("Program CCI",),
        parse=clean_text,
        esf_specific=True,
        in_view=False,  # one per programme period (module docstring)
    ),
    Field(
        name="intervention_type",
        kind=TEXT,
        description="Intervention type code",
        source="Interventionstyp",
        example="140",
        labels=("Interventionstyp",),
        english=("Intervention type",),
        parse=clean_text,
        esf_specific=True,
    ),
    Field(
        name="strategic_importance",
        kind=YES_NO,
        description="Operation of strategic importance (Ja/Nej)",
        source="Insats av strategisk betydelse",
        example="false",
        labels=("Insats av strategisk betydelse",),
        parse=parse_yes_no,
        esf_specific=True,
    ),
    Field(
        name="child_poverty_theme",
        kind=YES_NO,
        description="Secondary theme: counteracting child poverty (Ja/Nej)",
        source="Sekundärtema - Motverka barnfattigdom",
        example="false",
        labels=("Sekundärtema - Motverka barnfattigdom", "Sekundärtema – Motverka barnfattigdom"),
        parse=parse_yes_no,
        esf_specific=True,
    ),
    # (a new field: one more entry above this line; CONTRIBUTING.md has the recipe)
)

BY_NAME: Mapping[str, Field] = MappingProxyType({f.name: f for f in FIELDS})

# Fields that name a person: kept in their own columns so exports can leave them out.
PERSONAL_DATA_FIELDS: frozenset[str] = frozenset(f.name for f in FIELDS if f.personal)

# Labels that only ESF project pages carry: the evidence that a page is a project page, whatever
# its host. Generic labels (Namn, Projektperiod, Kontaktperson, Region, dates) are not evidence:
# a municipal page describing its own project has those too.
ESF_SPECIFIC_FIELDS: frozenset[str] = frozenset(f.name for f in FIELDS if f.esf_specific)

# Fields whose stated value goes through one normaliser and into the record as it comes out.
NORMALISERS: Mapping[str, Callable[[str], object]] = MappingProxyType(
    {f.name: f.parse for f in FIELDS if f.parse is not None}
)

# Every alias of every field (Swedish, then English), as written on the pages.
FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        alias: f.name
        for group in ("labels", "english")
        for f in FIELDS
        for alias in getattr(f, group)
    }
)


# The generated part of parsers/records.py: the registry's fields of ProjectRecord.
RECORDS_FILE = Path(__file__).with_name("records.py")
_BEGIN = (
    "    # Fields of the registry (parsers/fields.py), written by `python -m parsers.fields`:\n"
)
_END = "    # End of the registry's fields.\n"
_BLOCK = re.escape(_BEGIN) + r".*?" + re.escape(_END)  # compiled when used (re.DOTALL)


def record_fields_source() -> str:
    """The ProjectRecord lines of the registry's fields, between their marker comments."""
    lines = "".join(f"    {f.name}: {f.kind.python} | None = None\n" for f in FIELDS)
    return _BEGIN + lines + _END


def regenerate_records(text: str) -> str:
    """records.py's text with the registry block brought up to date."""
    if len(re.findall(_BLOCK, text, re.DOTALL)) != 1:
        raise ValueError(f"{RECORDS_FILE}: expected one block starting {_BEGIN.strip()!r}")
    return re.sub(_BLOCK, lambda _: record_fields_source(), text, flags=re.DOTALL)


def main() -> int:
    """`python -m parsers.fields`: rewrite ProjectRecord's fields from the registry."""
    text = RECORDS_FILE.read_text(encoding="utf-8")
    new = regenerate_records(text)
    if new != text:
        RECORDS_FILE.write_text(new, encoding="utf-8")
        print(f"parsers.fields: rewrote the registry's fields in {RECORDS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
