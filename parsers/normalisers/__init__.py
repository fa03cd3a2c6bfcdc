"""Hand-written Swedish normalisers: strict, fast, and each raising NormaliseError on bad input.

Every function takes the stated text of one field and returns a typed value; none guesses,
rounds or defaults. The modules can be imported one by one; this package re-exports them all.
"""

from parsers.normalisers.codes import (
    parse_call_number,
    parse_email,
    parse_postal_code,
    parse_programme_area,
    parse_project_number,
    parse_specific_objective,
)
from parsers.normalisers.dates import format_date_sv, parse_date, parse_period, parse_published_date
from parsers.normalisers.errors import NormaliseError
from parsers.normalisers.money import format_money, parse_money
from parsers.normalisers.numbers import parse_count
from parsers.normalisers.orgnr import parse_org_number
from parsers.normalisers.percent import parse_percent
from parsers.normalisers.regions import REGIONS, Region, parse_nuts2, parse_region, region_from_slug
from parsers.normalisers.text import clean_text
from parsers.normalisers.yesno import parse_yes_no

__all__ = [
    "REGIONS",
    "NormaliseError",
    "Region",
    "clean_text",
    "format_date_sv",
    "format_money",
    "parse_call_number",
    "parse_count",
    "parse_date",
    "parse_email",
    "parse_money",
    "parse_nuts2",
    "parse_org_number",
    "parse_percent",
    "parse_period",
    "parse_postal_code",
    "parse_programme_area",
    "parse_project_number",
    "parse_published_date",
    "parse_region",
    "parse_specific_objective",
    "parse_yes_no",
    "region_from_slug",
]
