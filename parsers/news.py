"""News pages → `NewsRecord`: title, published date, body and the project numbers it mentions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from parsers.detect import find_date_line
from parsers.normalisers import clean_text
from parsers.records import NewsRecord, Source
from parsers.vocabulary import is_chrome

# 2014–2020 diary numbers and ESF+ numbers; calls share the first shape, so they count too.
_PROJECT_NUMBER = re.compile(r"(?<![\w/-])(?:20\d{2}/\d{5}|\d{2}-\d{3}-S\d{2})(?![\w/-])")


_DATE_SEARCH = 40  # known to be news (by URL): look further down past menus for the date


def mentioned_project_numbers(text: str) -> tuple[str, ...]:
    """Every project number in the text, once, in order of first mention."""
    return tuple(dict.fromkeys(_PROJECT_NUMBER.findall(text)))


def parse_news(lines: Sequence[str], source: Source) -> NewsRecord:
    """The title is the line right above the date line; the body is everything below it."""
    found = find_date_line(lines, within=_DATE_SEARCH)
    if found is not None:
        title_index, date_index, published = found.title_index, found.index, found.date
    else:
        content = [i for i, line in enumerate(lines) if not is_chrome(line)]
        title_index = date_index = content[0] if content else 0
        published = None
    title = clean_text(lines[title_index]) if lines else None
    body = "\n".join(line for line in lines[date_index + 1 :] if not is_chrome(line))
    return NewsRecord(
        source=source,
        title=title or None,
        published_date=published,
        body=body or None,
        mentioned_project_numbers=mentioned_project_numbers(f"{title or ''}\n{body}"),
    )
