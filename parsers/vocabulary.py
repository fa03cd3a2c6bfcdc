"""The one label vocabulary: every label alias seen on the site, mapped to one record field.

A field's aliases are declared with the field, in the registry (parsers/fields.py); this module
adds the labels that are no field's. A label maps to a contract field of `ProjectRecord`, to the
pseudo-field the project parser splits further (`period`), or to None: known and read, but not
kept (an address the site shows empty, a call's amount). A label not in this table is reported
in the record's `unknown_labels`, so a new field on the site shows up instead of being silently
lost.

Section headings and list headings of the free-text part live here too, for the same reason.
"""

from __future__ import annotations

import functools
import re
from types import MappingProxyType

from parsers.fields import FIELD_LABELS

# Labels that are not one field's (a field's aliases are its entry in parsers/fields.py).
_OTHER_LABELS: dict[str, str | None] = {
    # the project period: the parser splits it into start_date and end_date
    "Projektperiod": "period",
    "Projekttid": "period",
    "Projektets period": "period",
    "Löptid": "period",
    "Projektets löptid": "period",
    "Project period": "period",
    # shown empty on every page seen: known, not kept
    "Stödmottagarens address": None,
    "Stödmottagarens adress": None,
    "Stödmottagare adress": None,
    "Stödmottagare address": None,
    # calls for proposals (utlysningar): read to tell a call from a project, not kept
    "Utlyst belopp": None,
    "Sista ansökningsdag": None,
    "Ansökningsperiod": None,
    "Utlysningsperiod": None,
}
_LABEL_FIELDS: dict[str, str | None] = {**FIELD_LABELS, **_OTHER_LABELS}


@functools.lru_cache(maxsize=4096)
def label_key(label: str) -> str:
    """The lookup form of a label: whitespace collapsed, case folded, no trailing colon.

    Cached: the label parser asks it about the same lines many times."""
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
