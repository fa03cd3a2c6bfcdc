"""Which kind of page this is, and which programme period a project page belongs to.

Decided on the weight of evidence, from the URL AND the content, because pages also arrive
without a URL, under neutral file names, or mirrored on other sites:
- an esf.se URL names its family (project, news, call, listing) by its path;
- otherwise the content decides: a call shows `Utlyst belopp` (or `Utlysning` without a project
  owner); a listing repeats project numbers, labels or dates, or paginates; a project shows a
  `2019/00145 - Title` heading or at least two labels only ESF project pages carry (a municipal
  page with `Projektnamn`/`Projektperiod` has none of those); news is a title followed by a
  Swedish date line at the top of the page;
- a page of another site is a project (a mirror that kept the labels) or `other`, never news or
  a listing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from urllib.parse import urlsplit

from parsers.fields import ESF_SPECIFIC_FIELDS
from parsers.labels import FieldBlock
from parsers.normalisers import NormaliseError, parse_published_date
from parsers.records import Kind, ProgrammePeriod
from parsers.url_shapes import path_of, period_of, shape_of
from parsers.vocabulary import CALL_ONLY_LABELS, is_chrome, label_key

_NUMBER = r"\d{4}/\d{5}|\d{2}-\d{3}-S\d{2}"
_HEADING = re.compile(rf"^(?P<number>{_NUMBER})\s*[-–—]\s*(?P<title>\S.*)$")
_NUMBER_AT_START = re.compile(rf"^(?:{_NUMBER})\b")
# A pager line holds nothing but paging words and page numbers; or it counts pages or hits.
_PAGER = re.compile(
    r"^(?:(?:«|‹|›|»|…|Första|Föregående|Nästa|Sista|\d+)\s*)+$"
    r"|^(?:Sida \d+ av \d+|Visar \d+\s*[-–]\s*\d+ av \d+(?: \w+)?|\d+ (?:träffar|projekt))$",
    re.IGNORECASE,
)
_PAGING_WORD = re.compile(r"Föregående|Nästa|\bav\b|träffar|projekt", re.IGNORECASE)
# esf.se, or a loopback host serving a fixture copy of the site (tests, `esfbank demo`).
_SITE_HOST = re.compile(r"(?:^|\.)esf\.se$|^localhost$|^127(?:\.\d{1,3}){3}$|^::1$")

# Fields a call page never states: with one of them, `Utlysning` is a project's call number.
_PROJECT_ONLY_FIELDS = frozenset({"project_number", "owner", "owner_org_number", "granted_esf_sek"})
_TOP_LINES = 8  # a news page's date line comes right after its title, at the top
_LISTING_MIN = 3
_LISTED_DATES = 4
_MAX_DATE_LINE = 40
# What a news page may write before its date: `Publicerad: 21 januari 2020`, `Nyhet | 29 maj 2020`,
# and on the English pages (`/news/`) `Published: 29 May 2020`.
_DATE_PREFIX = re.compile(
    r"^(?:publicerad|publicerat|publiceringsdatum|datum|senast uppdaterad|uppdaterad|nyhet"
    r"|pressmeddelande|published|last updated|updated|date|news|press release)\s*[:|·•–-]?\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Heading:
    """A `2019/00145 - Title` heading: the project number and the title after it."""

    index: int
    number: str
    title: str


def find_heading(lines: Sequence[str], before: int) -> Heading | None:
    """The project-number heading among the lines before the field block (or the top lines)."""
    for index, line in enumerate(lines[: max(before, _TOP_LINES)]):
        match = _HEADING.match(line)
        if match is not None:
            return Heading(index, match["number"], match["title"].strip())
    return None


def _site_path(url: str | None) -> str | None:
    """The lower-cased path and query of a URL of the site; None for other sites or no URL."""
    if not url:
        return None
    if not _SITE_HOST.search((urlsplit(url.strip()).hostname or "").lower()):
        return None
    return path_of(url)


def _is_other_site(url: str | None) -> bool:
    host = urlsplit(url.strip()).hostname if url else None
    return bool(host) and not _SITE_HOST.search(str(host).lower())


def kind_from_url(url: str | None) -> Kind | None:
    path = _site_path(url)
    shape = shape_of(path) if path is not None else None
    return shape.kind if shape is not None else None


def period_from_url(url: str | None) -> ProgrammePeriod | None:
    path = _site_path(url)
    return period_of(path) if path is not None else None


@dataclass(frozen=True, slots=True)
class DateLine:
    """A news page's title line and the date line right below it."""

    title_index: int
    index: int
    date: dt.date | None  # None: the page gives only month and year


def find_date_line(lines: Sequence[str], within: int = _TOP_LINES) -> DateLine | None:
    """The first Swedish date line among the top lines, with the title line next to it.

    The title is the line above the date (below it when the date comes first); a date line may
    carry a `Publicerad:` prefix.
    """
    content = list(islice((i for i, line in enumerate(lines) if not is_chrome(line)), within))
    for position, index in enumerate(content):
        line = _DATE_PREFIX.sub("", lines[index])
        if len(line) > _MAX_DATE_LINE or not any(map(str.isdigit, line)):
            continue
        try:
            date = parse_published_date(line)
        except NormaliseError:
            continue
        if position > 0:
            return DateLine(content[position - 1], index, date)
        if len(content) > 1:
            return DateLine(content[1], content[1], date)
    return None


def _is_listing(lines: Sequence[str], block: FieldBlock) -> bool:
    """Many project numbers at line starts, labels repeated per item, a pager, or many dates.

    Only lines outside the field block count: a project's own number and call number are there.
    """
    repeats: dict[str, int] = {}  # a dict, not a Counter: this runs for every page
    for pair in block.pairs:
        key = label_key(pair.label)
        repeats[key] = repeats.get(key, 0) + 1
    if repeats and max(repeats.values()) >= _LISTING_MIN:
        return True
    outside = [*lines[: block.start], *lines[block.end :]]
    numbers = {match.group() for line in outside if (match := _NUMBER_AT_START.match(line))}
    if len(numbers) >= _LISTING_MIN:
        return True
    short = [line for line in outside if len(line) <= _MAX_DATE_LINE]  # a pager's or a date's
    if any(_PAGER.match(line) and _PAGING_WORD.search(line) for line in short):
        return True
    return _date_lines(short) >= _LISTED_DATES  # an index of news: one date per item


def _date_lines(lines: Sequence[str]) -> int:
    """How many of the (short) lines are dates."""
    count = 0
    for line in lines:
        if any(map(str.isdigit, line)):
            try:
                parse_published_date(_DATE_PREFIX.sub("", line))
            except NormaliseError:
                continue
            count += 1
    return count


def esf_label_count(block: FieldBlock) -> int:
    """How many distinct fields only ESF project pages carry are stated in the block."""
    return len({p.field for p in block.pairs if p.field in ESF_SPECIFIC_FIELDS and p.value})


def detect_kind(
    lines: Sequence[str], url: str | None, block: FieldBlock, heading: Heading | None
) -> Kind:
    """The page's kind; see the module docstring for the evidence weighed."""
    from_url = kind_from_url(url)
    if from_url is not None and from_url != "project":
        return from_url
    stated = {p.field for p in block.pairs if p.value}
    call_only = any(label_key(p.label) in CALL_ONLY_LABELS for p in block.pairs)
    if call_only or ("call_number" in stated and not stated & _PROJECT_ONLY_FIELDS):
        return "call"  # `Utlysning` on a project page names its call; alone, it is the call
    if from_url == "project":
        return "project"
    other_site = _is_other_site(url)
    if not other_site and _is_listing(lines, block):
        return "listing"
    if heading is not None or esf_label_count(block) >= 2:
        return "project"  # on another site too: a mirror that kept the labels
    if not other_site and find_date_line(lines) is not None:
        return "news"  # another site's dated article is not esf.se news
    return "other"
