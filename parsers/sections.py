"""The free-text part of a project page: headed sections, bullet lists, the truncation marker.

Section headings and list headings come from the vocabulary; a heading is a line of its own
without a colon (`Problem / Möjligheter:` and `Målgrupper:` inside a section are text). Text
under no heading (the newer layouts show none) goes under `UNHEADED_SECTION`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from parsers.vocabulary import (
    LIST_HEADINGS,
    SECTION_HEADINGS,
    TRUNCATION_MARKER,
    UNHEADED_SECTION,
    is_chrome,
)

_BULLETS = "•·▪●◦‣"
_BULLET = re.compile(f"^[{_BULLETS}]\\s*")
_LIST_BULLET = re.compile(r"^[•·▪●◦‣*–-]\s*")
_TRUNCATION_KEY = TRUNCATION_MARKER.casefold()


@dataclass(frozen=True, slots=True)
class FreeText:
    sections: dict[str, str]
    lists: dict[str, tuple[str, ...]]  # record field (municipalities, ...) → items
    truncated: bool


_LONGEST_HEADING = max(len(h) for h in (*SECTION_HEADINGS, *LIST_HEADINGS, _TRUNCATION_KEY)) + 2


def _heading_key(line: str) -> str:
    """The lookup form of a possible heading; long lines are text and need none."""
    if len(line) > _LONGEST_HEADING:
        return ""
    return " ".join(line.split()).casefold()


def read_free_text(lines: Sequence[str]) -> FreeText:
    """Group the lines after the field block under their headings."""
    sections: dict[str, list[str]] = {}
    lists: dict[str, list[str]] = {}
    truncated = False
    target = sections.setdefault(UNHEADED_SECTION, [])
    in_list = False
    for line in lines:
        key = _heading_key(line)
        if key == _TRUNCATION_KEY:
            truncated = True
        elif is_chrome(line):
            continue
        elif key in SECTION_HEADINGS:
            target, in_list = sections.setdefault(SECTION_HEADINGS[key], []), False
        elif key in LIST_HEADINGS:
            target, in_list = lists.setdefault(LIST_HEADINGS[key], []), True
        elif in_list:
            item = _LIST_BULLET.sub("", line).strip()
            if item:
                target.append(item)
        else:
            # The substitution only for lines that start with a bullet (most lines are text).
            target.append(_BULLET.sub("• ", line) if line[:1] in _BULLETS else line)
    return FreeText(
        sections={heading: "\n".join(text) for heading, text in sections.items() if text},
        lists={field: tuple(items) for field, items in lists.items()},
        truncated=truncated,
    )
