"""The URL shapes of esf.se, in one table: which family a path names, and whether discovery
follows links to it. Page-kind detection (parsers.detect) and discovery (crawler.discovery)
both read this table; each adds its own policy on top (detection: the content outweighs the URL
for projects; discovery: follow only the shapes marked `followed`).

Matched against the lower-cased path and query; the first shape that matches wins, so the
order matters: a `?dnr=` page is a project whatever else its query says; a paged archive
(`…/page/N/`) is a listing, never an article; a family's index lists its pages; news before
calls (news write about calls).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from parsers.records import Kind, ProgrammePeriod

_END = r"/?(?:\?|$)"  # end of the path, with or without a trailing slash


@dataclass(frozen=True, slots=True)
class Shape:
    """One URL shape: its family (as `esfbank discover` reports it), kind and whether a crawl
    follows links to it from listings (calls and search pages it does not)."""

    family: str
    kind: Kind
    followed: bool
    pattern: re.Pattern[str]


def _shape(family: str, kind: Kind, followed: bool, pattern: str) -> Shape:
    return Shape(family, kind, followed, re.compile(pattern))


SHAPES: tuple[Shape, ...] = (
    _shape("project ?dnr=", "project", True, r"/projektbanken/projekt/?\?(?:.*&)?dnr="),
    _shape("paged archive", "listing", True, rf"/page/\d+{_END}"),
    _shape(
        "news listing", "listing", True, rf"/(?:nyheter\d*|news|pressmeddelanden|aktuellt\d*){_END}"
    ),
    _shape(
        "call listing", "listing", False, rf"/(?:utlysningar\d*|samtliga-utlysningar[^/?]*){_END}"
    ),
    _shape("news", "news", True, r"/(?:nyheter\d*|news|pressmeddelanden|aktuellt\d*)/[^/?]"),
    _shape("call", "call", False, r"/utlysning"),
    _shape(
        "project bank listing",
        "listing",
        True,
        rf"/behallare-for-projekt(?:/[^/?]+)?{_END}|/alla-projekt{_END}"
        rf"|/projektbanken(?:-2014-2020)?(?:/projekt)?{_END}",
    ),
    _shape("project 2007-2013", "project", True, r"/behallare-for-projekt/[^/?]+/[^/?]+"),
    _shape("project 2014-2020 (old)", "project", True, r"/alla-projekt/[^/?]+"),
    _shape("project slug", "project", True, rf"/projekt/[^/?]+{_END}"),
    _shape("paged listing", "listing", True, r"[?&]page=\d"),
    _shape(
        "project bank page", "listing", False, r"/projektbanken(?:-2014-2020)?/|[?&](?:sida|q|sok)="
    ),
)
# The periods a path names, whatever its kind.
PERIODS: tuple[tuple[ProgrammePeriod, re.Pattern[str]], ...] = (
    ("2007-2013", re.compile(r"/behallare-for-projekt/")),
    ("2014-2020", re.compile(r"/projektbanken-2014-2020/")),
)


def path_of(url: str) -> str:
    """The lower-cased path and query of a URL (or of a path given alone)."""
    parts = urlsplit(url.strip())
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.path}{query}".lower()


def shape_of(path: str) -> Shape | None:
    """The first shape matching a lower-cased `path?query`; None for a page of no known shape."""
    for shape in SHAPES:
        if shape.pattern.search(path):
            return shape
    return None


def period_of(path: str) -> ProgrammePeriod | None:
    for period, pattern in PERIODS:
        if pattern.search(path):
            return period
    return None
