"""The one label vocabulary: every label alias seen on the site, mapped to one record field.

A label maps to a contract field of `ProjectRecord`, to one of the pseudo-fields the project
parser splits further (`period`, `programme_period`), or to None: known and read, but not kept
(an address the site shows empty, a call's amount). A label not in this table is reported in the
record's `unknown_labels`, so a new field on the site shows up instead of being silently lost.

Section headings and list headings of the free-text part live here too, for the same reason.
"""

from __future__ import annotations

import re
from types import MappingProxyType

_LABEL_FIELDS: dict[str, str | None] = {
    # what the project is
    "Namn": "title",
    "Name": "title",
    "Projektnamn": "title",
    "Projektets namn": "title",
    "Projekttitel": "title",
    "Projektnummer": "project_number",
    "Diarienummer": "project_number",
    "Projektnr": "project_number",
    "Projektnr.": "project_number",
    "Diarienr": "project_number",
    "Diarienr.": "project_number",
    "Dnr": "project_number",
    "Dnr.": "project_number",
    "Ärendenummer": "project_number",
    "Programperiod": "programme_period",
    "Projektfas": "phase",
    "Programområde": "programme_area",
    "Specifikt mål": "specific_objective",
    "Utlysning": "call_number",
    "Utlysningsnummer": "call_number",
    "Interventionstyp": "intervention_type",
    "Insats av strategisk betydelse": "strategic_importance",
    "Sekundärtema - Motverka barnfattigdom": "child_poverty_theme",
    "Sekundärtema – Motverka barnfattigdom": "child_poverty_theme",
    "Berörd fond": "fund",
    "Fond": "fund",
    "Program CCI": "programme_cci",
    # who runs it
    "Projektägare": "owner",
    "Stödmottagare": "owner",  # the ESF+ word for the project owner (`Stödmottagare ort`, ...)
    "Stödmottagarens namn": "owner",
    "Projektägarens namn": "owner",
    "Projektägande organisation": "owner",
    "Projektägare organisationsnummer": "owner_org_number",
    "Projektägare org.nr.": "owner_org_number",
    "Projektägare org.nr": "owner_org_number",
    "Projektägarens organisationsnummer": "owner_org_number",
    "Organisationsnummer": "owner_org_number",
    "Organisationsnr": "owner_org_number",
    "Org.nr": "owner_org_number",
    "Org.nr.": "owner_org_number",
    "Org. nr": "owner_org_number",
    "Org nr": "owner_org_number",
    "Orgnr": "owner_org_number",
    "Projektägarens org.nr": "owner_org_number",
    "Projektägarens org.nr.": "owner_org_number",
    "Stödmottagare organisationsnummer": "owner_org_number",
    "Stödmottagarens organisationsnummer": "owner_org_number",
    "Stödmottagare org.nr.": "owner_org_number",
    "Stödmottagare org.nr": "owner_org_number",
    "Stödmottagare postnr": "owner_postal_code",
    "Stödmottagare postnummer": "owner_postal_code",
    "Stödmottagarens postnr": "owner_postal_code",
    "Stödmottagarens postnummer": "owner_postal_code",
    "Stödmottagare ort": "owner_city",
    "Stödmottagarens ort": "owner_city",
    "Stödmottagarens address": None,  # shown empty on every page seen: known, not kept
    "Stödmottagarens adress": None,
    "Stödmottagare adress": None,
    "Stödmottagare address": None,
    "Stödmottagarens land": "country",
    "Land som berörs": "country",
    "Region": "region",
    "ESF-region": "region",
    "NUTS-2 kod": "nuts2",
    "NUTS-2-kod": "nuts2",
    "NUTS2 kod": "nuts2",
    # when
    "Projektperiod": "period",
    "Projekttid": "period",
    "Projektets period": "period",
    "Löptid": "period",
    "Projektets löptid": "period",
    "Startdatum": "start_date",
    "Slutdatum": "end_date",
    "Projektstart": "start_date",
    "Projektslut": "end_date",
    "Projektets startdatum": "start_date",
    "Projektets slutdatum": "end_date",
    # money and people
    "Total projektbudget": "total_budget_sek",
    "Beviljat ESF-stöd": "granted_esf_sek",
    "Beviljat stöd": "granted_esf_sek",
    "Beviljat ESF+-stöd": "granted_esf_sek",
    "Beviljat ESF+ stöd": "granted_esf_sek",
    "Beviljat ESF stöd": "granted_esf_sek",
    "Beviljat EU-stöd": "granted_esf_sek",
    "Beviljat socialfondsstöd": "granted_esf_sek",
    "Beviljat belopp": "granted_esf_sek",
    "Beviljade medel": "granted_esf_sek",
    "ESF-stöd": "granted_esf_sek",
    "ESF+-stöd": "granted_esf_sek",
    "Totalt beviljat": "granted_esf_sek",
    "Totalt beviljat stöd": "granted_esf_sek",
    "Totalt beviljat ESF-stöd": "granted_esf_sek",
    "Projektbudget": "total_budget_sek",
    "Projektets totala budget": "total_budget_sek",
    "Projektets budget": "total_budget_sek",
    "Total budget": "total_budget_sek",
    "Totalbudget": "total_budget_sek",
    "Total Kostnader": "total_costs_sek",
    "Totala kostnader": "total_costs_sek",
    "Unionens medfinansieringsgrad": "eu_cofinancing_rate_pct",
    "EU:s medfinansieringsgrad": "eu_cofinancing_rate_pct",
    "Planerat antal deltagare": "planned_participants",
    "Antal deltagare": "planned_participants",
    "Antal planerade deltagare": "planned_participants",
    "Kontaktperson": "contact_name",
    "E-post": "contact_email",
    "E-postadress": "contact_email",
    "Epost": "contact_email",
    "Telefonnummer": "contact_phone",
    "Telefon": "contact_phone",
    "Telefonnr": "contact_phone",
    "Telefonnr.": "contact_phone",
    "Tel": "contact_phone",
    "Tel.": "contact_phone",
    # English labels, as on the English versions of the pages (`Name:` shows up on Swedish ones)
    "Project name": "title",
    "Project number": "project_number",
    "Project owner": "owner",
    "Project owner organisation number": "owner_org_number",
    "Organisation number": "owner_org_number",
    "Organization number": "owner_org_number",
    "Project phase": "phase",
    "Programme period": "programme_period",
    "Fund": "fund",
    "Intervention type": "intervention_type",
    "Union co-financing rate": "eu_cofinancing_rate_pct",
    "EU co-financing rate": "eu_cofinancing_rate_pct",
    "NUTS-2 code": "nuts2",
    "Country concerned": "country",
    "Project period": "period",
    "Start date": "start_date",
    "End date": "end_date",
    "Granted ESF support": "granted_esf_sek",
    "Granted ESF funding": "granted_esf_sek",
    "ESF support": "granted_esf_sek",
    "Total project budget": "total_budget_sek",
    "Planned number of participants": "planned_participants",
    "Number of participants": "planned_participants",
    "Contact person": "contact_name",
    "E-mail": "contact_email",
    "Email": "contact_email",
    "E-mail address": "contact_email",
    "Telephone": "contact_phone",
    "Telephone number": "contact_phone",
    "Phone": "contact_phone",
    "Phone number": "contact_phone",
    "Programme area": "programme_area",
    "Specific objective": "specific_objective",
    # calls for proposals (utlysningar): read to tell a call from a project, not kept
    "Utlyst belopp": None,
    "Sista ansökningsdag": None,
    "Ansökningsperiod": None,
    "Utlysningsperiod": None,
}


def label_key(label: str) -> str:
    """The lookup form of a label: whitespace collapsed, case folded, no trailing colon."""
    return " ".join(label.replace("\u00a0", " ").split()).rstrip(":").strip().casefold()


LABELS: MappingProxyType[str, str | None] = MappingProxyType(
    {label_key(alias): field for alias, field in _LABEL_FIELDS.items()}
)
ALIASES: tuple[str, ...] = tuple(sorted(_LABEL_FIELDS, key=len, reverse=True))
"""Every alias as written on the pages, longest first (so `Projektägare org.nr.` wins over
`Projektägare` when labels are glued to their values)."""

CALL_ONLY_LABELS: frozenset[str] = frozenset(
    label_key(label)
    for label in ("Utlyst belopp", "Sista ansökningsdag", "Ansökningsperiod", "Utlysningsperiod")
)

# Labels that only ESF project pages carry: the evidence that a page is a project page, whatever
# its host. Generic labels (Namn, Projektperiod, Kontaktperson, Region, dates) are not evidence:
# a municipal page describing its own project has those too.
ESF_SPECIFIC_FIELDS: frozenset[str] = frozenset(
    {
        "project_number",
        "call_number",
        "owner",
        "owner_org_number",
        "owner_postal_code",
        "programme_area",
        "specific_objective",
        "phase",
        "total_budget_sek",
        "granted_esf_sek",
        "total_costs_sek",
        "eu_cofinancing_rate_pct",
        "planned_participants",
        "programme_cci",
        "intervention_type",
        "strategic_importance",
        "child_poverty_theme",
        "nuts2",
    }
)


# Headings of the free-text part, by lookup key → the heading as the record's `sections` key.
_SECTION_HEADINGS = (
    "Sammanfattning",
    "Bakgrund",
    "Syfte",
    "Mål",
    "Målsättning",
    "Målgrupp",
    "Målgrupper",
    "Metod",
    "Genomförande",
    "Resultat",
    "Förväntat resultat",
    "Förväntade resultat",
    "Tillgänglighet för personer med funktionsnedsättning",
    "Tillgänglighet",
    "Jämställdhetsintegrering",
    "Jämställdhet",
    "Likabehandling",
    "Icke-diskriminering",
    "Transnationellt samarbete",
    "Lärande och spridning",
    "Spridning",
    "Summary",
    "Background",
    "Purpose",
)
SECTION_HEADINGS: MappingProxyType[str, str] = MappingProxyType(
    {label_key(h): h for h in _SECTION_HEADINGS}
)

# List sections: each bullet is one item of the named record field.
LIST_HEADINGS: MappingProxyType[str, str] = MappingProxyType(
    {
        label_key("Kommun"): "municipalities",
        label_key("Kommuner"): "municipalities",
        label_key("Samarbetspartners"): "partners",
        label_key("Samarbetspartner"): "partners",
        label_key("Medfinansiärer"): "cofinanciers",
        label_key("Medfinansiär"): "cofinanciers",
    }
)

UNHEADED_SECTION = "Beskrivning"
"""The `sections` key of free text under no heading (the newer layouts show none)."""

TRUNCATION_MARKER = "All text fick ej plats se akten."

# Lines of site chrome that text snapshots keep (HTML pages lose most of them with the markup):
# never a title, never part of a body.
CHROME_LINES: frozenset[str] = frozenset(
    label_key(line)
    for line in (
        "Logotyp på utskrifter",
        "Stäng",
        "information (1)",
        "Cookies",
        "Lär dig mer",
        "In English",
        "Bild i högerkolumn",
        "Information med anledning av covid-19",
        "Uppdaterad information med anledning av covid-19",
        "Mer information och anmälan.",
        "Till toppen",
        "Dela",
        "Skriv ut",
    )
)
_COOKIE_NOTICE = re.compile(r"^Den här (hem|webb)sidan använder cookies", re.IGNORECASE)


_LONGEST_CHROME = max(len(line) for line in CHROME_LINES) + 2


def is_chrome(line: str) -> bool:
    if len(line) > _LONGEST_CHROME:  # long lines are text (cheap test: most lines are long)
        return bool(_COOKIE_NOTICE.match(line))
    return label_key(line) in CHROME_LINES or bool(_COOKIE_NOTICE.match(line))
